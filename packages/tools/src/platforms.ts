/** Node's names for the runner (`linux-x64`), and the Go names upstream URLs use (`linux`, `amd64`). */
export function currentPlatform(): string {
  return `${process.platform}-${process.arch}`;
}

const GO_ARCH: Record<string, string> = {
  x64: 'amd64',
  arm64: 'arm64',
  arm: 'arm',
  ppc64: 'ppc64le',
  s390x: 's390x',
};

export function goNames(platform: string): { os: string; arch: string } {
  const [os = '', arch = ''] = platform.split('-');
  return { os, arch: GO_ARCH[arch] ?? arch };
}
