import { input, type InputSpec } from '@kubeline/runtime';
import type { InputName } from './action.generated.js';

export const TOOLS = ['helm', 'kubectl', 'trivy', 'cosign', 'buildx'] as const;

export const inputSpec = {
  helm: input.string(),
  kubectl: input.string(),
  trivy: input.string(),
  cosign: input.string(),
  buildx: input.string(),
  mirror: input.url(),
  manifest: input.string(),
  platform: input.string({
    pattern: /^[a-z0-9]+-[a-z0-9]+$/,
    allowed: 'it must look like linux-x64 or linux-arm64',
  }),
} satisfies InputSpec<InputName>;
