import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { InputError } from '@kubeline/runtime';
import { formatReference, parseChallenge, parseImageInput, parseReference } from '@kubeline/image';

const D = `sha256:${'a'.repeat(64)}`;

describe('parseReference', () => {
  it.each([
    ['nginx', { registry: 'docker.io', repository: 'library/nginx' }],
    ['nginx:1.27', { registry: 'docker.io', repository: 'library/nginx', tag: '1.27' }],
    ['acme/web:v1', { registry: 'docker.io', repository: 'acme/web', tag: 'v1' }],
    [
      '127.0.0.1:5000/kubeline/app:sha-1a2b',
      { registry: '127.0.0.1:5000', repository: 'kubeline/app', tag: 'sha-1a2b' },
    ],
    ['localhost/app', { registry: 'localhost', repository: 'app' }],
    [`ghcr.io/o/r@${D}`, { registry: 'ghcr.io', repository: 'o/r', digest: D }],
    [`ghcr.io/o/r:v2@${D}`, { registry: 'ghcr.io', repository: 'o/r', tag: 'v2', digest: D }],
  ])('%s', (text, want) => {
    expect(parseReference(text)).toEqual(want);
  });

  it.each(['Nginx', 'app:', 'app@sha256:abc', 'a b', 'ghcr.io/o/r:-bad', ''])(
    'rejects %j naming the input and the rule',
    (text) => {
      expect(() => parseReference(text, 'image')).toThrow(InputError);
      expect(() => parseReference(text, 'image')).toThrow(
        /^input "image": .* is not valid; allowed: \[registry\/\]repository\[:tag\]/,
      );
    },
  );

  it('formats back what it parsed', () => {
    for (const t of ['nginx:1', 'acme/web', `127.0.0.1:5000/a/b:c@${D}`])
      expect(formatReference(parseReference(t))).toBe(t);
  });
});

describe('parseImageInput', () => {
  const contract = {
    name: '127.0.0.1:5000/app',
    digest: D,
    ref: `127.0.0.1:5000/app@${D}`,
    tags: ['v1'],
    platforms: [],
    pushed: true,
    labels: {},
  };

  it('accepts the image-json contract, inline or as a file path (GitLab passes JSON outputs as files)', () => {
    expect(parseImageInput(JSON.stringify(contract))).toEqual({ kind: 'contract', contract });
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'img-')), 'image-json.json');
    fs.writeFileSync(file, JSON.stringify(contract));
    expect(parseImageInput(file)).toEqual({ kind: 'contract', contract });
  });

  it('accepts a plain reference', () => {
    expect(parseImageInput('127.0.0.1:5000/app:v1')).toEqual({
      kind: 'reference',
      ref: { registry: '127.0.0.1:5000', repository: 'app', tag: 'v1' },
    });
  });

  it('refuses a contract whose ref is not name@digest, or whose digest is malformed', () => {
    expect(() => parseImageInput(JSON.stringify({ ...contract, ref: '127.0.0.1:5000/app:v1' }))).toThrow(
      '"ref" equal to name@digest',
    );
    expect(() => parseImageInput(JSON.stringify({ ...contract, digest: 'sha256:abc' }))).toThrow(
      'a "digest" of the form sha256:<64 hex>',
    );
    expect(() => parseImageInput('{"name": ')).toThrow('it looks like JSON but does not parse');
  });
});

describe('parseChallenge', () => {
  it('reads a bearer challenge', () => {
    expect(
      parseChallenge(
        'Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull"',
      ),
    ).toEqual({
      scheme: 'bearer',
      params: {
        realm: 'https://auth.example/token',
        service: 'registry.example',
        scope: 'repository:a/b:pull',
      },
    });
  });
});
