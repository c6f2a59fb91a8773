// Run by the e2e global set-up: reuse a healthy stack or bring it up (npm run stack:up); with
// KUBELINE_E2E_EXTERNAL=1, only check that the environment names an existing cluster and registries.
import { status, up } from '../../stack/stack.js';
import { isExternal, loadStackEnv } from './stack-env.js';

const log = (line: string) => console.log(line);

async function prepare(): Promise<void> {
  if (isExternal()) {
    loadStackEnv(); // throws naming every missing key
    log('e2e: using the cluster and registries named by the environment (KUBELINE_E2E_EXTERNAL=1)');
    return;
  }
  if (await status(() => {})) {
    log('e2e: reusing the running stack (.stack/env)');
  } else {
    log('e2e: bringing the stack up (npm run stack:up)');
    await up(log);
  }
  loadStackEnv();
}

prepare().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error('e2e:', error instanceof Error ? error.message : error);
    if (error instanceof Error && 'logTail' in error && error.logTail) console.error(error.logTail);
    process.exit(1);
  },
);
