export { installTool, assetUrl, type InstallRequest, type Installed } from './install.js';
export { ensureTool } from './ensure.js';
export {
  loadManifest,
  validateManifest,
  type ToolsManifest,
  type ToolEntry,
  type Asset,
} from './manifest.js';
export { resolveVersion, pinnedVersions } from './versions.js';
export { downloadVerified, ChecksumError } from './download.js';
export { currentPlatform, goNames } from './platforms.js';
export { KNOWN_TOOLS, parseVersionOutput } from './known-tools.js';
