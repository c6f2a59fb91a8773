// cosign-sign: the argv of every cosign command, the digests it covers, and how cosign's failures
// read. The stderr texts below were captured from real cosign 2.6.5 runs against a local registry.
import {
  attestArgs,
  publicKeyArgs,
  payloadNamesDigest,
  signArgs,
  verifyArgs,
  verifyAttestationArgs,
} from '@kubeline/signing';
import { explainCosignFailure } from '@kubeline/signing';
import { signTargets } from '@kubeline/signing';
import { makeContract } from '@kubeline/image';

const d = (c: string) => `sha256:${c.repeat(64)}`;
const ref = `127.0.0.1:5000/app@${d('a')}`;
const offline = { major: 2 as const, tlog: false, registry: {}, trustedRoot: '/w/trusted-root.json' };
const offline3 = { ...offline, major: 3 as const };

describe('cosign 2 argv', () => {
  it('signs every digest in one call, key-based and offline: no Rekor upload, no prompt', () => {
    expect(signArgs({ key: '/w/cosign.key' }, [ref, `127.0.0.1:5000/app@${d('b')}`], offline)).toEqual([
      'sign',
      '--yes',
      '--key',
      '/w/cosign.key',
      '--tlog-upload=false',
      ref,
      `127.0.0.1:5000/app@${d('b')}`,
    ]);
  });

  it('signs keylessly through the named OIDC provider and uploads to the transparency log', () => {
    const args = signArgs({ oidcProvider: 'github-actions' }, [ref], {
      major: 2 as const,
      tlog: true,
      registry: {},
    });
    expect(args).toEqual(['sign', '--yes', '--oidc-provider', 'github-actions', '--tlog-upload=true', ref]);
    expect(args.join(' ')).not.toMatch(/--key|--identity-token/);
  });

  it('points cosign at the registry CA', () => {
    const args = signArgs({ key: 'k' }, [ref], {
      major: 2 as const,
      tlog: false,
      registry: { caFile: '/w/ca.pem' },
    });
    expect(args).toEqual(expect.arrayContaining(['--registry-cacert', '/w/ca.pem']));
    expect(args[args.length - 1]).toBe(ref);
  });

  it('verifies by key offline with an empty trusted root, so cosign never asks TUF', () => {
    expect(verifyArgs({ key: '/w/cosign.pub' }, ref, offline)).toEqual([
      'verify',
      '--key',
      '/w/cosign.pub',
      '--insecure-ignore-tlog=true',
      '--trusted-root',
      '/w/trusted-root.json',
      '--output',
      'json',
      ref,
    ]);
  });

  it('verifies with the transparency log by default (no insecure flag)', () => {
    expect(
      verifyArgs({ key: 'k' }, ref, { major: 2 as const, tlog: true, registry: {} }).join(' '),
    ).not.toMatch(/insecure|trusted-root/);
  });

  it('verifies a keyless signature by identity and issuer, exact or by regexp', () => {
    const exact = {
      identity: 'https://github.com/o/r/.github/workflows/r.yml@refs/heads/main',
      issuer: 'https://token.actions.githubusercontent.com',
    };
    expect(verifyArgs({ identity: exact }, ref, { major: 2 as const, tlog: true, registry: {} })).toEqual([
      'verify',
      '--certificate-identity',
      exact.identity,
      '--certificate-oidc-issuer',
      exact.issuer,
      '--output',
      'json',
      ref,
    ]);
    const loose = { identityRegexp: '^https://github.com/o/', issuerRegexp: 'githubusercontent' };
    expect(verifyArgs({ identity: loose }, ref, { major: 2 as const, tlog: true, registry: {} })).toEqual(
      expect.arrayContaining([
        '--certificate-identity-regexp',
        '^https://github.com/o/',
        '--certificate-oidc-issuer-regexp',
        'githubusercontent',
      ]),
    );
  });

  it('attests by digest with the predicate type, replacing an earlier attestation of that type', () => {
    expect(attestArgs({ key: 'k' }, ref, 'vuln', '/w/vuln-predicate.json', offline)).toEqual([
      'attest',
      '--yes',
      '--key',
      'k',
      '--type',
      'vuln',
      '--predicate',
      '/w/vuln-predicate.json',
      '--replace',
      '--tlog-upload=false',
      ref,
    ]);
    expect(verifyAttestationArgs({ key: 'p' }, ref, 'cyclonedx', offline)).toEqual([
      'verify-attestation',
      '--key',
      'p',
      '--type',
      'cyclonedx',
      '--insecure-ignore-tlog=true',
      '--trusted-root',
      '/w/trusted-root.json',
      '--output',
      'json',
      ref,
    ]);
  });

  it('derives the public key', () => {
    expect(publicKeyArgs('/w/cosign.key', '/w/cosign.pub')).toEqual([
      'public-key',
      '--key',
      '/w/cosign.key',
      '--outfile',
      '/w/cosign.pub',
    ]);
  });
});

describe('cosign 3 argv', () => {
  it('signs offline without the default signing config (it would be fetched from TUF)', () => {
    expect(signArgs({ key: '/w/cosign.key' }, [ref], offline3)).toEqual([
      'sign',
      '--yes',
      '--key',
      '/w/cosign.key',
      '--use-signing-config=false',
      '--tlog-upload=false',
      ref,
    ]);
  });

  it('signs keylessly with the public-good signing config, no deprecated flags', () => {
    expect(signArgs({ oidcProvider: 'github-actions' }, [ref], { ...offline3, tlog: true })).toEqual([
      'sign',
      '--yes',
      '--oidc-provider',
      'github-actions',
      ref,
    ]);
  });

  it('attests without --replace (ignored by the bundle format); verifies as cosign 2 does', () => {
    const args = attestArgs({ key: 'k' }, ref, 'vuln', '/w/p.json', offline3);
    expect(args).not.toContain('--replace');
    expect(args).toEqual(expect.arrayContaining(['--use-signing-config=false', '--tlog-upload=false']));
    expect(verifyArgs({ key: 'p' }, ref, offline3)).toEqual(verifyArgs({ key: 'p' }, ref, offline));
  });
});

describe('what a verified payload must say', () => {
  const digest = d('a');
  const payload = (type: string, dg = digest) =>
    JSON.stringify([{ critical: { type, image: { 'docker-manifest-digest': dg } } }]);
  it('a signature of this digest, in either major’s words', () => {
    expect(payloadNamesDigest(payload('cosign container image signature'), digest)).toBe(true);
    expect(payloadNamesDigest(payload('https://sigstore.dev/cosign/sign/v1'), digest)).toBe(true);
  });
  it('not an attestation (cosign 3 verify accepts any bundle), nor another digest', () => {
    expect(payloadNamesDigest(payload('https://cyclonedx.org/bom'), digest)).toBe(false);
    expect(payloadNamesDigest(payload('https://sigstore.dev/cosign/sign/v1', d('b')), digest)).toBe(false);
    expect(payloadNamesDigest('not json', digest)).toBe(false);
  });
});

describe('signTargets', () => {
  const index = makeContract({
    name: '127.0.0.1:5000/app',
    digest: d('a'),
    tags: [],
    platforms: [
      { platform: 'linux/amd64', digest: d('b') },
      { platform: 'linux/arm64', digest: d('c') },
      { platform: 'linux/arm64', digest: d('c') },
    ],
    pushed: true,
    labels: {},
  });

  it('covers the index and each platform digest once, the index first', () => {
    expect(signTargets(index, true)).toEqual([
      { platform: 'index', digest: d('a'), ref: `127.0.0.1:5000/app@${d('a')}` },
      { platform: 'linux/amd64', digest: d('b'), ref: `127.0.0.1:5000/app@${d('b')}` },
      { platform: 'linux/arm64', digest: d('c'), ref: `127.0.0.1:5000/app@${d('c')}` },
    ]);
  });

  it('covers only the index when not recursive, and a single image as `image`', () => {
    expect(signTargets(index, false).map((t) => t.platform)).toEqual(['index']);
    expect(signTargets({ ...index, platforms: [] }, true)).toEqual([
      { platform: 'image', digest: d('a'), ref: index.ref },
    ]);
  });
});

describe('explainCosignFailure', () => {
  it.each([
    [
      'Error: decrypt: encrypted: decryption failed\nerror during command execution: decrypt: encrypted: decryption failed',
      'the private key could not be decrypted: wrong `password`',
    ],
    ['Error: no signatures found\nerror during command execution: no signatures found', 'no signature found'],
    [
      'Error: no matching signatures: invalid signature when validating ASN.1 encoded signature',
      'no signature matches the key or identity',
    ],
    [
      'Error: none of the attestations matched the predicate type: vuln, found: https://cyclonedx.org/bom',
      'no vuln attestation found',
    ],
    [
      'GET https://127.0.0.1:5443/v2/x/manifests/y: UNAUTHORIZED: authentication required',
      'the registry refused the credentials (registry-username / registry-password)',
    ],
    [
      'tls: failed to verify certificate: x509: certificate signed by unknown authority',
      'the registry’s TLS certificate is not trusted: give its CA in `registry-ca`',
    ],
  ])('%s', (stderr, meaning) => {
    expect(explainCosignFailure(stderr)).toBe(meaning);
  });

  it('a cosign 3 signature check failing on bundles says signature, not attestation', () => {
    const stderr =
      'Error: no matching attestations: invalid signature when validating ASN.1 encoded signature';
    expect(explainCosignFailure(stderr, 'signature')).toBe('no signature matches the key or identity');
    expect(explainCosignFailure(stderr, 'attestation')).toBe('no attestation matches the key or identity');
  });

  it('leaves an unknown failure to cosign’s own words', () => {
    expect(explainCosignFailure('Error: something new')).toBeUndefined();
  });
});
