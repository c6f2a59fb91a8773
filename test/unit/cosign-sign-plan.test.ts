// cosign-sign: which inputs combine, and the early failures of keyless signing. Keyless signing
// cannot run here (no Fulcio, no OIDC issuer): these tests stop before cosign, by design.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { mask, readInputs } from '@kubeline/runtime';
import { action } from '../../actions/cosign-sign/src/action.generated.js';
import { inputSpec } from '../../actions/cosign-sign/src/inputs.js';
import { jobIdentity, keylessOidcProvider } from '@kubeline/signing';
import { keyArgument, parseKeyInput } from '@kubeline/signing';
import { makePlan } from '../../actions/cosign-sign/src/plan.js';
import { signArgs } from '@kubeline/signing';
import { runBundle } from '../support/processes.js';

const IMAGE = `127.0.0.1:5000/app@sha256:${'a'.repeat(64)}`;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kubeline-cs-plan-'));
const privateKey = path.join(dir, 'cosign.key');
fs.writeFileSync(
  privateKey,
  '-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\nabc\n-----END ENCRYPTED SIGSTORE PRIVATE KEY-----\n',
);
const publicPem = '-----BEGIN PUBLIC KEY-----\nMFkw\n-----END PUBLIC KEY-----';

function inputs(given: Record<string, string>) {
  const env: NodeJS.ProcessEnv = { INPUT_IMAGE: IMAGE };
  for (const [k, v] of Object.entries(given)) env[`INPUT_${k.toUpperCase()}`] = v;
  return readInputs(action, inputSpec, env);
}

describe('keyless: the OIDC token is checked first', () => {
  it('GitHub without the id-token permission names the permission to add', () => {
    expect(() => keylessOidcProvider('github', {})).toThrow(
      'keyless signing needs the job’s OIDC token, and ACTIONS_ID_TOKEN_REQUEST_URL/TOKEN are not set: add `permissions: id-token: write` to the job',
    );
    expect(() => keylessOidcProvider('github', { ACTIONS_ID_TOKEN_REQUEST_URL: 'http://x' })).toThrow(
      /permissions: id-token: write/,
    );
  });

  it('GitLab without SIGSTORE_ID_TOKEN names the id_tokens keyword', () => {
    expect(() => keylessOidcProvider('gitlab', {})).toThrow(
      'keyless signing needs an OIDC token in SIGSTORE_ID_TOKEN, which is not set: add `id_tokens: { SIGSTORE_ID_TOKEN: { aud: sigstore } }` to the job',
    );
  });

  it('picks cosign’s provider for each platform (FAKE token values: nothing is sent anywhere)', () => {
    const fakeGithub = {
      ACTIONS_ID_TOKEN_REQUEST_URL: 'http://127.0.0.1:9/fake',
      ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'fake-token',
    };
    expect(keylessOidcProvider('github', fakeGithub)).toBe('github-actions');
    expect(keylessOidcProvider('gitlab', { SIGSTORE_ID_TOKEN: 'fake.jwt.token' })).toBe('envvar');
    expect(keylessOidcProvider('cli', { SIGSTORE_ID_TOKEN: 'fake.jwt.token' })).toBe('envvar');
  });

  it('expects the job’s own identity after signing: GitHub workflow ref, GitLab pipeline config', () => {
    expect(
      jobIdentity('github', { GITHUB_WORKFLOW_REF: 'o/r/.github/workflows/release.yml@refs/heads/main' }),
    ).toEqual({
      identity: 'https://github.com/o/r/.github/workflows/release.yml@refs/heads/main',
      issuer: 'https://token.actions.githubusercontent.com',
    });
    expect(
      jobIdentity('github', {
        GITHUB_SERVER_URL: 'https://ghe.example',
        GITHUB_WORKFLOW_REF: 'o/r/.github/workflows/a.yml@refs/tags/v1',
      }),
    ).toEqual({
      identity: 'https://ghe.example/o/r/.github/workflows/a.yml@refs/tags/v1',
      issuer: 'https://ghe.example/_services/token',
    });
    expect(
      jobIdentity('gitlab', {
        CI_SERVER_URL: 'https://gitlab.com',
        CI_PROJECT_PATH: 'g/p',
        CI_COMMIT_REF_NAME: 'main',
      }),
    ).toEqual({
      identity: 'https://gitlab.com/g/p//.gitlab-ci.yml@refs/heads/main',
      issuer: 'https://gitlab.com',
    });
    expect(
      jobIdentity('gitlab', {
        CI_SERVER_URL: 'https://gl.example',
        CI_PROJECT_PATH: 'g/p',
        CI_COMMIT_TAG: 'v2',
        CI_CONFIG_PATH: 'ci/main.yml',
      })?.identity,
    ).toBe('https://gl.example/g/p//ci/main.yml@refs/tags/v2');
    expect(jobIdentity('cli', {})).toBeUndefined();
  });

  it('a keyless plan signs through the provider with no key, and verifies against the job identity', () => {
    const plan = makePlan(inputs({ keyless: 'true' }), 'github', {
      ACTIONS_ID_TOKEN_REQUEST_URL: 'http://127.0.0.1:9/fake',
      ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'fake-token',
      GITHUB_WORKFLOW_REF: 'o/r/.github/workflows/release.yml@refs/heads/main',
    });
    expect(plan).toMatchObject({
      mode: 'sign',
      tlog: true,
      signer: {
        kind: 'keyless',
        oidcProvider: 'github-actions',
        identity: { identity: 'https://github.com/o/r/.github/workflows/release.yml@refs/heads/main' },
      },
    });
    if (plan.mode !== 'sign' || plan.signer.kind !== 'keyless') throw new Error('unreachable');
    expect(
      signArgs({ oidcProvider: plan.signer.oidcProvider }, [IMAGE], {
        major: 2,
        tlog: plan.tlog,
        registry: {},
      }),
    ).toEqual(['sign', '--yes', '--oidc-provider', 'github-actions', '--tlog-upload=true', IMAGE]);
  });
});

describe('input combinations', () => {
  const fakeToken = { SIGSTORE_ID_TOKEN: 'fake.jwt.token' };

  it.each([
    [
      { keyless: 'true', key: privateKey },
      'gitlab',
      'input "keyless": "true" is not valid; give either `key` or `keyless: true`, not both',
    ],
    [
      { keyless: 'true', 'transparency-log': 'false' },
      'gitlab',
      'input "transparency-log": "false" is not valid; keyless signatures are only verifiable through the transparency log; keep it true',
    ],
    [{}, 'cli', 'signing needs a key: set `key` (and `password`), or `keyless: true`'],
    [
      { key: publicPem },
      'cli',
      'input "key": "a public key" is not valid; signing needs the private key (cosign.key)',
    ],
    [
      { keyless: 'true' },
      'cli',
      'keyless signing outside GitHub Actions and GitLab CI needs certificate-identity and certificate-oidc-issuer to verify the signature',
    ],
    [
      { mode: 'verify' },
      'cli',
      'verify mode needs `key` (the public key) or `certificate-identity`(-regexp) with `certificate-oidc-issuer`(-regexp)',
    ],
    [
      {
        mode: 'verify',
        'certificate-identity': 'a',
        'certificate-identity-regexp': 'b',
        'certificate-oidc-issuer': 'c',
      },
      'cli',
      'input "certificate-identity-regexp": "b" is not valid; give certificate-identity or certificate-identity-regexp, not both',
    ],
    [
      { mode: 'verify', 'certificate-identity': 'a' },
      'cli',
      'input "certificate-oidc-issuer" (or "certificate-oidc-issuer-regexp") is required with the other certificate inputs',
    ],
    [
      { mode: 'verify', key: publicPem, 'certificate-identity': 'a', 'certificate-oidc-issuer': 'b' },
      'cli',
      'input "key": "set" is not valid; verify by `key` or by certificate identity, not both',
    ],
  ] as const)('%j on %s', (given, platform, message) => {
    expect(() => makePlan(inputs(given), platform, fakeToken)).toThrow(message);
  });

  it('a missing key file and a malformed reference are input errors', () => {
    expect(() => inputs({ key: path.join(dir, 'missing.key') })).toThrow(
      `input "key": "${path.join(dir, 'missing.key')}" is not valid; no such file; give PEM content, the path of a key file, or a KMS URI (awskms://, gcpkms://, …)`,
    );
    expect(() => readInputs(action, inputSpec, { INPUT_IMAGE: 'Registry.example/UPPER:tag' })).toThrow(
      /^input "image": "Registry.example\/UPPER:tag" is not valid/,
    );
  });

  it('says which inputs the mode ignores instead of dropping them', () => {
    const verify = makePlan(
      inputs({ mode: 'verify', key: publicPem, sbom: 'x.json', password: 'pw' }),
      'cli',
      {},
    );
    expect(verify.ignored).toEqual(['sbom', 'password']);
    const sign = makePlan(inputs({ key: privateKey, 'require-attestations': 'vuln' }), 'cli', {});
    expect(sign.ignored).toEqual(['require-attestations']);
  });

  it('private PEM content is masked and written 0600 for cosign; a public key is neither secret nor rewritten', () => {
    const pem = fs.readFileSync(privateKey, 'utf8');
    const source = parseKeyInput(pem, 'key');
    expect(mask(`key: ${pem.trim()}`)).toBe('key: ***');
    const work = fs.mkdtempSync(path.join(os.tmpdir(), 'kubeline-cs-work-'));
    const file = keyArgument(source, work, 'cosign.key')!;
    expect(fs.readFileSync(file, 'utf8')).toBe(pem);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(parseKeyInput(publicPem, 'key')).toEqual({ kind: 'pem', pem: `${publicPem}\n`, private: false });
    expect(mask(publicPem)).toBe(publicPem);
    expect(keyArgument(parseKeyInput(privateKey, 'key'), dir, 'x')).toBe(privateKey);
  });

  it('a key needed twice in one run reuses its file; a different or planted file there is refused', () => {
    const work = fs.mkdtempSync(path.join(os.tmpdir(), 'kubeline-cs-work-'));
    const source = parseKeyInput(publicPem, 'key');
    const first = keyArgument(source, work, 'cosign.pub')!;
    expect(keyArgument(source, work, 'cosign.pub')).toBe(first);
    const other = parseKeyInput(publicPem.replace('MF', 'MX'), 'key');
    expect(() => keyArgument(other, work, 'cosign.pub')).toThrow('does not hold this key');
    const planted = path.join(work, 'planted.pub');
    fs.symlinkSync(first, planted);
    expect(() => keyArgument(source, work, 'planted.pub')).toThrow('does not hold this key');
  });

  it('passes a KMS URI through and rejects an unknown attestation type', () => {
    expect(inputs({ key: 'awskms:///alias/release' }).key).toEqual({
      kind: 'kms',
      uri: 'awskms:///alias/release',
    });
    expect(() => inputs({ 'require-attestations': 'cyclonedx, spdx' })).toThrow(
      'input "require-attestations": "spdx" is not valid; allowed: cyclonedx, vuln',
    );
  });
});

describe('actions/cosign-sign/dist (the committed bundle): keyless fails before anything runs', () => {
  function runnerFiles(): NodeJS.ProcessEnv {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), 'kubeline-cs-gh-'));
    const files = Object.fromEntries(
      ['GITHUB_OUTPUT', 'GITHUB_STATE', 'GITHUB_STEP_SUMMARY', 'GITHUB_ENV', 'GITHUB_PATH'].map((k) => [
        k,
        path.join(d, k),
      ]),
    );
    for (const f of Object.values(files)) fs.writeFileSync(f!, '');
    return { ...files, GITHUB_ACTIONS: 'true', RUNNER_TEMP: path.join(d, 'temp') };
  }

  it('on GitHub without `id-token: write`: exit 1, one error line', async () => {
    const r = await runBundle('cosign-sign', { ...runnerFiles(), INPUT_IMAGE: IMAGE, INPUT_KEYLESS: 'true' });
    expect(r.code).toBe(1);
    const errors = r.stdout.split('\n').filter((l) => l.startsWith('::error'));
    expect(errors).toEqual([
      '::error::cosign-sign: keyless signing needs the job’s OIDC token, and ACTIONS_ID_TOKEN_REQUEST_URL/TOKEN are not set: add `permissions: id-token: write` to the job',
    ]);
    expect(r.stdout + r.stderr).not.toMatch(/^\s+at /m);
  });

  it('an image-json of an image that was never pushed: exit 1, one line, no registry asked', async () => {
    const temp = fs.mkdtempSync(path.join(os.tmpdir(), 'kubeline-cs-cli-'));
    const contract = {
      name: '127.0.0.1:9/app',
      digest: `sha256:${'a'.repeat(64)}`,
      platforms: [],
      pushed: false,
    };
    const r = await runBundle('cosign-sign', {
      RUNNER_TEMP: temp,
      INPUT_IMAGE: JSON.stringify(contract),
      INPUT_KEY: privateKey,
    });
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toEqual([
      'error: cosign-sign: input "image": the image-json says the image was not pushed: nothing to sign',
    ]);
  });

  it('on GitLab without SIGSTORE_ID_TOKEN: exit 1, one error line naming id_tokens', async () => {
    const temp = fs.mkdtempSync(path.join(os.tmpdir(), 'kubeline-cs-gl-'));
    const r = await runBundle(
      'cosign-sign',
      {
        GITLAB_CI: 'true',
        RUNNER_TEMP: temp,
        INPUT_IMAGE: IMAGE,
        INPUT_KEYLESS: 'true',
      },
      temp, // GitLab reports land in the job's directory
    );
    expect(r.code).toBe(1);
    expect((r.stdout + r.stderr).trim().split('\n')).toEqual([
      'error: cosign-sign: keyless signing needs an OIDC token in SIGSTORE_ID_TOKEN, which is not set: add `id_tokens: { SIGSTORE_ID_TOKEN: { aud: sigstore } }` to the job',
    ]);
  });
});
