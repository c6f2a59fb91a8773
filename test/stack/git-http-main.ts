// The git-server daemon's entry (git-server.ts starts it):
//   git-http-main.ts --listen=127.0.0.1:PORT --root=DIR --user=NAME --password-file=FILE
// The password comes from a file, never from argv.
import { readFileSync } from 'node:fs';
import { createGitHttpServer } from './git-http.js';

function flag(name: string): string {
  const prefix = `--${name}=`;
  const value = process.argv.find((a) => a.startsWith(prefix))?.slice(prefix.length);
  if (!value) throw new Error(`git-http-main: --${name}= is required`);
  return value;
}

const [listenHost, listenPort] = flag('listen').split(':') as [string, string];
const log = (line: string) => console.log(`${new Date().toISOString()} ${line}`);
const server = createGitHttpServer({
  root: flag('root'),
  user: flag('user'),
  password: readFileSync(flag('password-file'), 'utf8').trim(),
  log,
});
server.listen(Number(listenPort), listenHost, () => log(`git server on http://${listenHost}:${listenPort}`));
for (const signal of ['SIGTERM', 'SIGINT'] as const)
  process.once(signal, () => {
    log(`${signal}: closing`);
    server.close();
    server.closeAllConnections();
    // CGI children share this process group: stack:down's group signal stops them too
    setTimeout(() => process.exit(0), 2_000).unref();
  });
