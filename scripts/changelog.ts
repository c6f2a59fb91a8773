// Prints the CHANGELOG.md section of a version: the release notes. Fails in one line when the version
// is not package.json's or has no section. Given a tag (`v0.1.0`), it must be `v` + that version.
// Reads package.json and CHANGELOG.md from the working directory. Plain Node 24 runs it as it is
// (type stripping): the release job needs no `npm ci`.
//
//   node scripts/changelog.ts 0.1.0 | v0.1.0
import fs from 'node:fs';

export class ChangelogError extends Error {}

/** The body under `## [version]` (a trailing ` - date` allowed), up to the next `## ` or the link list. */
export function changelogSection(changelog: string, version: string): string | undefined {
  const lines = changelog.split('\n');
  const escaped = version.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const heading = new RegExp(`^## \\[${escaped}\\](\\s+-\\s+\\S.*)?\\s*$`);
  const start = lines.findIndex((l) => heading.test(l));
  if (start < 0) return undefined;
  const body: string[] = [];
  for (const line of lines.slice(start + 1)) {
    if (/^## /.test(line) || /^\[[^\]]+\]:\s/.test(line)) break;
    body.push(line);
  }
  return body.join('\n').trim();
}

/** The release notes of `versionOrTag`, checked against package.json; throws one line otherwise. */
export function releaseNotes(dir: string, versionOrTag: string): string {
  const read = (file: string) => {
    try {
      return fs.readFileSync(`${dir}/${file}`, 'utf8');
    } catch {
      throw new ChangelogError(`${file} cannot be read in ${dir}`);
    }
  };
  const { version } = JSON.parse(read('package.json')) as { version: string };
  const isTag = versionOrTag.startsWith('v');
  const given = isTag ? versionOrTag.slice(1) : versionOrTag;
  if (given !== version)
    throw new ChangelogError(
      isTag
        ? `tag ${versionOrTag} is not v + package.json's version ${version} (expected tag v${version})`
        : `version ${versionOrTag} is not package.json's version ${version}`,
    );
  const section = changelogSection(read('CHANGELOG.md'), version);
  if (section === undefined) throw new ChangelogError(`CHANGELOG.md has no section "## [${version}]"`);
  if (section === '') throw new ChangelogError(`CHANGELOG.md's section "## [${version}]" is empty`);
  return section;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [arg, ...rest] = process.argv.slice(2);
  try {
    if (!arg || rest.length) throw new ChangelogError('usage: changelog.ts <version | vVERSION tag>');
    process.stdout.write(releaseNotes(process.cwd(), arg) + '\n');
  } catch (e) {
    if (!(e instanceof ChangelogError)) throw e;
    console.error(`changelog: ${e.message}`);
    process.exit(1);
  }
}
