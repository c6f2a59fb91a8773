import {
  InputError,
  input,
  splitList,
  type InputParser,
  type InputSpec,
  type InputValues,
} from '@kubeline/runtime';
import type { InputName } from './action.generated.js';
import { FORMATS } from './reports.js';
import { SEVERITIES, parseSeverityList, type Severity } from './severity.js';
import { SCAN_TYPES } from './trivy-args.js';

const SCANNERS = ['vuln', 'secret', 'misconfig', 'license'] as const;

/** A list whose every item must be one of `options` (any case); duplicates collapse. */
function listOf<const T extends string>(options: readonly T[]): InputParser<T[]> {
  return {
    type: `list of ${options.join(', ')}`,
    parse(raw, name) {
      const items = splitList(raw).map((s) => s.toLowerCase());
      if (items.some((s) => !(options as readonly string[]).includes(s)))
        throw new InputError(name, raw.trim(), `allowed: a list of ${options.join(', ')}`);
      return options.filter((o) => items.includes(o));
    },
  };
}

const severities: InputParser<Severity[]> = {
  type: `list of ${SEVERITIES.join(', ')}, or none`,
  parse: (raw, name) => parseSeverityList(raw, name),
};

function repositories(required: boolean): InputParser<string[]> {
  return {
    type: 'list of OCI repositories',
    parse(raw, name) {
      const list = splitList(raw);
      const bad = list.find((r) => /\s|^[a-z]+:\/\//.test(r));
      const example = 'OCI repositories such as ghcr.io/aquasecurity/trivy-db:2';
      if (bad) throw new InputError(name, bad, `allowed: ${example}`);
      if (required && list.length === 0)
        throw new InputError(name, raw.trim(), `at least one is needed: ${example}`);
      return list;
    },
  };
}

export const inputSpec = {
  'scan-type': input.enum(SCAN_TYPES),
  // Multi-line: build-image's image-json may be pasted pretty-printed.
  image: input.multiline(),
  input: input.string(),
  path: input.string(),
  formats: listOf(FORMATS),
  'output-dir': input.string(),
  'fail-on': severities,
  'fail-on-cvss': input.number({ min: 0, max: 10 }),
  'ignore-unfixed': input.boolean(),
  'ignore-file': input.string(),
  scanners: listOf(SCANNERS),
  'db-repository': repositories(true),
  'db-max-age': input.string({
    pattern: /^(any|(\d+(ms|s|m|h))+)$/,
    allowed: "empty (trivy's rule), any, or a duration such as 24h or 90m",
  }),
  'java-db-repository': repositories(false),
  'cache-dir': input.string(),
  'registry-username': input.string(),
  'registry-password': input.secret(),
  'registry-ca': input.multiline(),
  timeout: input.duration({ min: 1000 }),
  'trivy-version': input.string(),
} satisfies InputSpec<InputName>;

export type Inputs = InputValues<typeof inputSpec>;
