// One bundle, two roles: the helm-deploy action (deploy.ts), and the post-renderer helm runs while
// it deploys (post-renderer.ts). Each loads only its own modules, so helm does not wait on the
// action's dependencies every time it renders.
import { enableCompileCache } from '@kubeline/runtime/compile-cache';
import { POST_RENDER_ENV } from './post-render-env.js';

enableCompileCache();
const postRenderConfig = process.env[POST_RENDER_ENV];
if (postRenderConfig) await (await import('./post-renderer.js')).runAsPostRenderer(postRenderConfig);
else await (await import('./deploy.js')).runDeploy();
