import { InputError, addSecret, input, type InputParser, type InputSpec } from '@kubeline/runtime';
import type { InputName } from './action.generated.js';

export const BUILDERS = ['buildx', 'buildah'] as const;
export const TAG_POLICIES = ['immutable', 'mutable'] as const;
export type TagPolicy = (typeof TAG_POLICIES)[number];

/** Non-blank lines, `#` comments dropped; commas stay (cache specs and values hold them). */
function lines(raw: string): string[] {
  return raw
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
}

/** `key=value` per line; the value may hold `=` and commas. Secret values are masked before any check. */
function keyValues(opts: {
  what: string;
  keyPattern: RegExp;
  secret?: boolean;
}): InputParser<Map<string, string>> {
  return {
    type: `${opts.what}, one key=value per line`,
    secret: false,
    parse(raw, name) {
      const out = new Map<string, string>();
      for (const line of lines(raw)) {
        const eq = line.indexOf('=');
        const key = eq > 0 ? line.slice(0, eq).trim() : '';
        const value = eq > 0 ? line.slice(eq + 1) : '';
        if (opts.secret) addSecret(value);
        // A secret line is shown by its id only: the value never reaches an error message.
        const shown = opts.secret ? `${key || line.slice(0, 20)}=***` : line;
        if (!opts.keyPattern.test(key)) throw new InputError(name, shown, `each line must be ${opts.what}`);
        out.set(key, value);
      }
      return out;
    },
  };
}

const lineList: InputParser<string[]> = { type: 'list, one per line', parse: (raw) => lines(raw) };

/**
 * buildx `--driver-opt` values: `key=value` per line (or comma separated, as buildx itself accepts),
 * returned one option per item.
 */
export const driverOpts: InputParser<string[]> = {
  type: 'driver options, one key=value per line',
  parse(raw, name) {
    const opts = lines(raw).flatMap((l) => l.split(',').map((o) => o.trim()));
    for (const o of opts)
      if (!/^[a-z][\w.-]*=\S+$/i.test(o))
        throw new InputError(name, o, 'each line must be a driver option key=value, e.g. network=host');
    return opts;
  },
};

const attestation: InputParser<string> = {
  type: 'false | true | mode=min | mode=max',
  parse(raw, name) {
    const v = raw.trim().toLowerCase();
    if (['false', 'true', 'mode=min', 'mode=max'].includes(v)) return v;
    throw new InputError(name, raw.trim(), 'allowed: false, true, mode=min, mode=max');
  },
};

export const inputSpec = {
  builder: input.enum(BUILDERS),
  context: input.string(),
  file: input.string(),
  repository: input.string(),
  tags: input.list(),
  'tag-policy': input.enum(TAG_POLICIES),
  labels: keyValues({ what: 'key=value', keyPattern: /^[\w.\-/]+$/ }),
  'build-args': keyValues({ what: 'NAME=value', keyPattern: /^[\w.-]+$/ }),
  secrets: keyValues({ what: 'id=value', keyPattern: /^[\w.-]+$/, secret: true }),
  platforms: input.list(),
  push: input.boolean(),
  'cache-from': lineList,
  'cache-to': lineList,
  target: input.string({ pattern: /^[\w.-]+$/, allowed: 'it must be a stage name' }),
  provenance: attestation,
  sbom: input.enum(['false', 'true']),
  pull: input.boolean(),
  'no-cache': input.boolean(),
  timeout: input.duration({ min: 1000 }),
  'registry-username': input.string(),
  'registry-password': input.secret(),
  'registry-ca': input.multiline(),
  'buildkit-host': input.string({
    pattern: /^(unix|tcp|ssh|docker-container|kube-pod|npipe):\/\/\S+$/,
    allowed:
      'it must be a buildkitd address such as unix:///run/buildkit/buildkitd.sock or tcp://127.0.0.1:1234',
  }),
  'buildx-builder': input.string({
    pattern: /^[A-Za-z0-9][\w.-]*$/,
    allowed: 'it must be the name of a buildx builder (`docker buildx ls`)',
  }),
  'buildx-driver-opts': driverOpts,
  load: input.boolean(),
  'buildx-version': input.string(),
} satisfies InputSpec<InputName>;
