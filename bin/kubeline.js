#!/usr/bin/env node
// kubeline <action> [post] [--<input> value ...] | kubeline <action> --help | kubeline --help
// Checks the Node version before anything else loads, then runs the bundled CLI (bin/cli.ts).
const [major] = process.versions.node.split('.').map(Number);
if (major < 24) {
  process.stderr.write(
    `error: kubeline: Node ${process.versions.node} is too old: kubeline needs Node 24 or newer\n`,
  );
  process.exit(1);
}
await import('./dist/index.js');
