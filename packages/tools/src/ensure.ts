import { installTool, type Installed } from './install.js';
import { loadManifest } from './manifest.js';

/**
 * How an action gets the tool it wraps: the version input (`default`, exact or prefix), through the
 * same verified install as setup-tools, honouring KUBELINE_TOOLS_MIRROR and KUBELINE_TOOLS_MANIFEST.
 */
export function ensureTool(tool: string, version: string, inputName = `${tool}-version`): Promise<Installed> {
  return installTool({
    tool,
    version: version || 'default',
    manifest: loadManifest(process.env.KUBELINE_TOOLS_MANIFEST || undefined),
    mirror: process.env.KUBELINE_TOOLS_MIRROR || undefined,
    inputs: { version: inputName },
  });
}
