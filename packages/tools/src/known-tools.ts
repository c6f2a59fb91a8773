/** How to call each tool we install and how to read its version, for reusing one already on PATH. */
export interface KnownTool {
  binary: string;
  versionArgs: string[];
}

export const KNOWN_TOOLS: Record<string, KnownTool> = {
  helm: { binary: 'helm', versionArgs: ['version', '--template', '{{.Version}}'] },
  kubectl: { binary: 'kubectl', versionArgs: ['version', '--client', '-o', 'json'] },
  trivy: { binary: 'trivy', versionArgs: ['--version'] },
  cosign: { binary: 'cosign', versionArgs: ['version', '--json'] },
  buildx: { binary: 'docker-buildx', versionArgs: ['version'] },
};

/** The first x.y.z in a version command's output. */
export function parseVersionOutput(text: string): string | undefined {
  return /v?(\d+\.\d+\.\d+)/.exec(text)?.[1];
}
