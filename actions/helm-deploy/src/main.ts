// One bundle, two roles: the helm-deploy action (deploy.ts), and the relay helm runs as its
// post-renderer while it deploys (render-relay.ts). The relay loads nothing of the action, so helm
// waits only on node's start every time it renders.
import { enableCompileCache } from '@kubeline/runtime/compile-cache';
import { RENDER_RELAY_ENV } from './render-relay-env.js';

enableCompileCache();
const relaySocket = process.env[RENDER_RELAY_ENV];
if (relaySocket) await (await import('./render-relay.js')).relay(relaySocket);
else await (await import('./deploy.js')).runDeploy();
