import path from 'node:path';
import { addToPath, readInputs, run } from '@kubeline/runtime';
import { installTool, loadManifest, resolveVersion, type Installed } from '@kubeline/tools';
import { action } from './action.generated.js';
import { TOOLS, inputSpec } from './inputs.js';

await run(action, async (ctx) => {
  const inputs = readInputs(action, inputSpec);
  const manifest = loadManifest(inputs.manifest || process.env.KUBELINE_TOOLS_MANIFEST || undefined);
  const mirror = inputs.mirror?.href ?? (process.env.KUBELINE_TOOLS_MIRROR || undefined);
  const wanted = TOOLS.filter((t) => inputs[t] !== '');
  // Every requested version is checked before anything is downloaded: a typo installs nothing.
  for (const tool of wanted) resolveVersion(tool, inputs[tool], manifest.tools[tool]!, tool);
  if (wanted.length === 0)
    ctx.log.warning('no tool requested: set one of helm, kubectl, trivy, cosign, buildx');

  const installed: Installed[] = [];
  for (const tool of wanted) {
    const started = Date.now();
    const result = await installTool({
      tool,
      version: inputs[tool],
      manifest,
      mirror,
      platform: inputs.platform || undefined,
      inputs: { version: tool, platform: 'platform' },
    });
    installed.push(result);
    addToPath(path.dirname(result.path));
    ctx.output(`${tool}-path`, result.path);
    ctx.output(`${tool}-version`, result.version);
    ctx.log.info(`${tool} ${result.version}: ${result.path} (${result.source}, ${Date.now() - started} ms)`);
  }
  if (installed.length) {
    ctx.summary.heading('kubeline setup-tools').table(
      ['tool', 'version', 'from', 'path'],
      installed.map((i) => [
        i.tool,
        i.version,
        i.source === 'download' ? `download (sha256 verified)` : i.source,
        i.path,
      ]),
    );
  }
});
