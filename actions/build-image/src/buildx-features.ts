/** buildx features newer than some versions kubeline may run; an input they serve is dropped with a warning. */
const GATES = [
  { input: 'provenance', flag: '--provenance', since: [0, 10, 0] },
  { input: 'sbom', flag: '--sbom', since: [0, 10, 0] },
] as const;

export type GatedInput = (typeof GATES)[number]['input'];

function atLeast(version: string, since: readonly number[]): boolean {
  const v = version.replace(/^v/, '').split(/[.-]/).map(Number);
  for (let i = 0; i < since.length; i++) {
    const part = v[i] ?? 0;
    if (Number.isNaN(part)) return false;
    if (part !== since[i]) return part > since[i]!;
  }
  return true;
}

/**
 * Flags for the gated inputs, given the buildx version: `false` is passed explicitly (so no default
 * attestation surprises a registry), and inputs an older buildx cannot honour are listed as ignored.
 */
export function gatedFlags(
  version: string,
  values: Record<GatedInput, string>,
): { flags: string[]; ignored: string[] } {
  const flags: string[] = [];
  const ignored: string[] = [];
  for (const gate of GATES) {
    const value = values[gate.input];
    if (atLeast(version, gate.since)) flags.push(`${gate.flag}=${value}`);
    else if (value !== 'false')
      ignored.push(
        `${gate.input}: ${value} needs buildx ${gate.since.join('.')} or newer (this is ${version})`,
      );
  }
  return { flags, ignored };
}
