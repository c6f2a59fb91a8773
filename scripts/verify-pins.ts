// Checks every sha256 pinned in the tools manifest against the bytes it names: downloads each tool,
// version and platform (from upstream or a mirror), hashes it as it streams, and where the upstream
// publishes a checksums file, checks that the pin is the one listed there too.
//
//   tsx scripts/verify-pins.ts [--mirror <url>] [--manifest <file>] [--only-available] [--timeout <s>]
import crypto from 'node:crypto';
import { parseArgs } from 'node:util';
import { TransientError, isTransient, isTransientStatus, retry } from '@kubeline/runtime';
import { assetUrl, loadManifest, pinnedVersions, type Asset, type ToolsManifest } from '@kubeline/tools';

/**
 * Where each upstream publishes its checksums, relative to the asset's own URL ({url}; {dir} is its
 * folder), so the same rule finds them on a mirror laid out like kubeline's. Formats: helm's
 * `.sha256sum` and the checksums.txt files are `<sha256>  <file>` lines; kubectl's `.sha256` is the
 * bare sha256.
 */
const CHECKSUM_FILES: Record<string, string> = {
  helm: '{url}.sha256sum',
  kubectl: '{url}.sha256',
  trivy: '{dir}/trivy_{version}_checksums.txt',
  cosign: '{dir}/cosign_checksums.txt',
  buildx: '{dir}/checksums.txt',
};

const CONCURRENCY = 4;
const CHECKSUMS_MAX_BYTES = 1024 * 1024;

interface Options {
  manifest: ToolsManifest;
  mirror?: string;
  onlyAvailable: boolean;
  timeoutMs: number;
}

interface Pin {
  tool: string;
  version: string;
  platform: string;
  asset: Asset;
  url: string;
}

type Verdict = { status: 'ok' | 'failed' | 'skipped'; line: string };

/** A URL the server does not hold (404/410): on a mirror with --only-available, skipped, not failed. */
class NotFound extends Error {}
class TimedOut extends Error {}

function pinsOf(opts: Options): Pin[] {
  const pins: Pin[] = [];
  for (const [tool, entry] of Object.entries(opts.manifest.tools).sort(([a], [b]) => a.localeCompare(b))) {
    for (const version of pinnedVersions(entry)) {
      for (const [platform, asset] of Object.entries(entry.versions[version] ?? {}).sort()) {
        const url = assetUrl(tool, version, asset, platform, entry.upstream, opts.mirror);
        pins.push({ tool, version, platform, asset, url });
      }
    }
  }
  return pins;
}

/** One GET, bounded in time (headers and body), retried on 408/429/5xx and dropped connections. */
async function get<T>(url: string, opts: Options, read: (res: Response) => Promise<T>): Promise<T> {
  return retry(
    async () => {
      const signal = AbortSignal.timeout(opts.timeoutMs);
      try {
        const res = await fetch(url, { signal, redirect: 'follow' });
        if (res.status === 404 || res.status === 410) {
          await res.body?.cancel();
          throw new NotFound(`HTTP ${res.status}`);
        }
        if (res.status !== 200) {
          await res.body?.cancel();
          const msg = `HTTP ${res.status}`;
          if (isTransientStatus(res.status)) throw new TransientError(msg, res.status);
          throw new Error(msg);
        }
        return await read(res);
      } catch (e) {
        if (signal.aborted) throw new TimedOut(`timed out after ${opts.timeoutMs / 1000} s`);
        if (e instanceof NotFound || e instanceof TransientError) throw e;
        const code = (e as { cause?: { code?: string } }).cause?.code;
        if (isTransient(e)) throw new TransientError(`connection failed: ${code ?? (e as Error).message}`);
        throw new Error(code ?? (e as Error).message, { cause: e });
      }
    },
    {
      onRetry: (err, attempt, ms) =>
        console.log(
          `retry ${url}: ${(err as Error).message}; attempt ${attempt + 1} in ${Math.round(ms)} ms`,
        ),
    },
  );
}

async function sha256Of(res: Response): Promise<string> {
  const hash = crypto.createHash('sha256');
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) hash.update(chunk);
  return hash.digest('hex');
}

async function textOf(res: Response): Promise<string> {
  const text = await res.text();
  if (text.length > CHECKSUMS_MAX_BYTES) throw new Error(`larger than ${CHECKSUMS_MAX_BYTES} bytes`);
  return text;
}

function checksumsUrl(pin: Pick<Pin, 'tool' | 'version' | 'url'>): string | undefined {
  const template = CHECKSUM_FILES[pin.tool];
  if (!template) return undefined;
  return template
    .replaceAll('{url}', pin.url)
    .replaceAll('{dir}', pin.url.slice(0, pin.url.lastIndexOf('/')))
    .replaceAll('{version}', pin.version);
}

/** The sha256 a checksums file gives for `file`: its named line, else a lone bare sha256. */
function listedSha256(text: string, file: string): string | undefined {
  const bare: string[] = [];
  for (const line of text.split('\n')) {
    const m = /^([0-9a-fA-F]{64})(?:\s+\*?(\S+))?\s*$/.exec(line.trim());
    if (!m) continue;
    const name = m[2]?.split('/').pop();
    if (name === file) return m[1]!.toLowerCase();
    if (!name) bare.push(m[1]!.toLowerCase());
  }
  return bare.length === 1 ? bare[0] : undefined;
}

/** Each checksums file is fetched once, however many assets it lists. */
const checksumTexts = new Map<string, Promise<string>>();

async function verify(pin: Pin, opts: Options): Promise<Verdict> {
  const name = `${pin.tool} ${pin.version} ${pin.platform}`;
  let actual: string;
  try {
    actual = await get(pin.url, opts, sha256Of);
  } catch (e) {
    if (e instanceof NotFound && opts.onlyAvailable)
      return { status: 'skipped', line: `skip  ${name}: not on the mirror (${pin.url})` };
    return { status: 'failed', line: `FAIL  ${name}: ${pin.url}: ${(e as Error).message}` };
  }
  const problems: string[] = [];
  if (actual !== pin.asset.sha256)
    problems.push(`sha256 mismatch: expected ${pin.asset.sha256}, actual ${actual} (${pin.url})`);

  let published = '';
  const listUrl = checksumsUrl(pin);
  if (listUrl) {
    let text: Promise<string> | undefined = checksumTexts.get(listUrl);
    if (!text) checksumTexts.set(listUrl, (text = get(listUrl, opts, textOf)));
    try {
      const listed = listedSha256(await text, pin.asset.file);
      if (!listed) problems.push(`${listUrl} lists no sha256 for ${pin.asset.file}`);
      else if (listed !== pin.asset.sha256)
        problems.push(`${listUrl} lists ${listed} for ${pin.asset.file}, not the pinned ${pin.asset.sha256}`);
      else published = `, as ${listUrl.slice(listUrl.lastIndexOf('/') + 1)} lists`;
    } catch (e) {
      if (e instanceof NotFound && opts.onlyAvailable) published = ', no checksums file on the mirror';
      else problems.push(`checksums file ${listUrl}: ${(e as Error).message}`);
    }
  }
  if (problems.length) return { status: 'failed', line: `FAIL  ${name}: ${problems.join('; ')}` };
  return { status: 'ok', line: `ok    ${name}: sha256 ${actual}${published}` };
}

async function inPool<T, R>(items: T[], limit: number, each: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await each(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

async function verifyPins(opts: Options, pins: Pin[]): Promise<boolean> {
  const verdicts = await inPool(pins, CONCURRENCY, async (pin) => {
    const v = await verify(pin, opts);
    console.log(v.line);
    return v;
  });
  const count = (s: Verdict['status']) => verdicts.filter((v) => v.status === s).length;
  const [ok, failed, skipped] = [count('ok'), count('failed'), count('skipped')];
  const where = opts.mirror ? `mirror ${opts.mirror}` : 'upstream';
  console.log(
    `verify-pins: ${ok} verified, ${failed} failed, ${skipped} skipped of ${pins.length} (${where})`,
  );
  if (failed) return false;
  if (ok === 0) {
    console.log('verify-pins: nothing was verified');
    return false;
  }
  return true;
}

function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      mirror: { type: 'string' },
      manifest: { type: 'string' },
      'only-available': { type: 'boolean', default: false },
      timeout: { type: 'string', default: '300' },
    },
    strict: true,
    allowPositionals: false,
  });
  const timeout = Number(values.timeout);
  if (!Number.isFinite(timeout) || timeout <= 0 || timeout > 3600)
    throw new Error(`--timeout ${values.timeout}: give seconds, more than 0 and at most 3600`);
  if (values['only-available'] && !values.mirror)
    throw new Error('--only-available applies to a mirror: give --mirror <url>');
  if (values.mirror && !/^https?:\/\//.test(values.mirror))
    throw new Error(`--mirror ${values.mirror}: give an http(s) URL`);
  return {
    manifest: loadManifest(values.manifest),
    ...(values.mirror ? { mirror: values.mirror } : {}),
    onlyAvailable: values['only-available'],
    timeoutMs: timeout * 1000,
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  let opts: Options;
  let pins: Pin[];
  try {
    opts = parseOptions(process.argv.slice(2));
    pins = pinsOf(opts);
  } catch (e) {
    console.error(`verify-pins: ${(e as Error).message}`);
    process.exit(1);
  }
  process.exit((await verifyPins(opts, pins)) ? 0 : 1);
}
