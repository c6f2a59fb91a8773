// Where the chart comes from. A remote chart is pulled once into the work dir, so the archive that
// is linted is the archive that is deployed.
import fs from 'node:fs';
import path from 'node:path';
import { InputError, UserError } from '@kubeline/runtime';
import { writeRegistryLogin } from '@kubeline/image';
import { chartArgs, repoAddArgs, type ChartArgs, type Helm } from '@kubeline/helm';

export type ChartSource =
  | { kind: 'local'; path: string }
  | { kind: 'oci'; ref: string }
  | { kind: 'url'; url: string }
  | { kind: 'repo'; repo: string; name: string };

const ALLOWED =
  'give a chart folder or .tgz, an oci:// reference, a chart name with `repo`, or https://<repository>/<chart>';

export function parseChartSource(chart: string, repo: string): ChartSource {
  const text = chart.trim();
  if (repo) {
    if (!/^[\w.-]+$/.test(text)) throw new InputError('chart', text, 'with `repo`, give the chart name only');
    return { kind: 'repo', repo: repo.replace(/\/+$/, ''), name: text };
  }
  if (text.startsWith('oci://')) return { kind: 'oci', ref: text };
  if (/^https?:\/\//.test(text)) {
    const url = new URL(text);
    if (url.pathname.endsWith('.tgz')) return { kind: 'url', url: text };
    const slash = text.replace(/\/+$/, '').lastIndexOf('/');
    const name = text.replace(/\/+$/, '').slice(slash + 1);
    if (!name || slash <= url.origin.length - 1)
      throw new InputError('chart', text, `the URL names no chart; ${ALLOWED}`);
    return { kind: 'repo', repo: text.slice(0, slash), name };
  }
  return { kind: 'local', path: text };
}

export function describeChart(s: ChartSource): string {
  switch (s.kind) {
    case 'local':
      return s.path;
    case 'oci':
      return s.ref;
    case 'url':
      return s.url;
    case 'repo':
      return `${s.name} from ${s.repo}`;
  }
}

/** A local chart must be a folder with a Chart.yaml or a packaged .tgz: checked before helm runs. */
export function checkLocalChart(p: string): string {
  const full = path.resolve(p);
  if (!fs.existsSync(full)) throw new InputError('chart', p, `no such folder or file; ${ALLOWED}`);
  if (fs.statSync(full).isDirectory()) {
    if (!fs.existsSync(path.join(full, 'Chart.yaml')))
      throw new InputError('chart', p, 'the folder has no Chart.yaml, so it is not a Helm chart');
  } else if (!full.endsWith('.tgz')) {
    throw new InputError('chart', p, `a file must be a packaged chart (.tgz); ${ALLOWED}`);
  }
  return full;
}

export interface FetchOptions {
  version: string;
  username: string;
  password: string;
  plainHttp: boolean;
  workDir: string;
}

/** The name a logged-in chart repository gets in the run's private repositories file. */
const REPO_ALIAS = 'kubeline-chart-repo';

/** The registry host of an `oci://` reference, for its login. */
function ociHost(ref: string): string {
  return ref.slice('oci://'.length).split('/')[0]!;
}

/** A local path of the chart: the folder as given, or the archive `helm pull` fetched. */
export async function fetchChart(helm: Helm, source: ChartSource, o: FetchOptions): Promise<string> {
  if (source.kind === 'local') {
    if (o.version) throw new InputError('chart-version', o.version, 'a local chart has no version to choose');
    return checkLocalChart(source.path);
  }
  const args: ChartArgs = { chart: '', version: o.version || undefined, plainHttp: o.plainHttp };
  if (source.kind === 'oci') {
    args.chart = source.ref;
    if (o.username)
      args.registryConfig = path.join(
        writeRegistryLogin(
          [{ registry: ociHost(source.ref), username: o.username, password: o.password }],
          o.workDir,
        ).dockerConfig,
        'config.json',
      );
  } else if (source.kind === 'repo' && o.username) {
    // The password goes to helm on stdin, never on its argv (visible to every process on the runner).
    Object.assign(args, {
      chart: `${REPO_ALIAS}/${source.name}`,
      repositoryConfig: path.join(o.workDir, 'repositories.yaml'),
      repositoryCache: path.join(o.workDir, 'repository-cache'),
    });
    await helm.runOrExplain(
      `cannot log in to chart repository ${source.repo}`,
      repoAddArgs(REPO_ALIAS, source.repo, o.username, args),
      { silent: true, input: o.password },
    );
  } else {
    args.chart = source.kind === 'url' ? source.url : source.name;
    if (source.kind === 'repo') args.repo = source.repo;
    // helm pull of a chart URL reads credentials from its flags only.
    if (o.username) Object.assign(args, { username: o.username, password: o.password });
  }
  const dest = fs.mkdtempSync(path.join(o.workDir, 'chart-'));
  await helm.runOrExplain(
    `cannot fetch chart ${describeChart(source)}`,
    ['pull', args.chart, ...chartArgs(args), '--destination', dest],
    { silent: true },
  );
  const archive = fs.readdirSync(dest).find((f) => f.endsWith('.tgz'));
  if (!archive) throw new UserError(`helm pull of ${describeChart(source)} wrote no chart archive`);
  return path.join(dest, archive);
}
