// The CLI's bundle entry (bin/dist/index.js): bin/kubeline.js loads it once Node is new enough.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCli } from '../packages/runtime/src/cli.js';

const ACTIONS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'actions');
await runCli(ACTIONS, process.argv.slice(2));
