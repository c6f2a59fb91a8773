// The files a promotion edits: real files in a temporary repository, hostile names refused.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { resolveTargetFiles } from '../src/files.js';
import { failure } from './line-diff.js';

let root: string;
let repo: string;

beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'kubeline-gitops-files-'));
  repo = path.join(root, 'repo');
  fs.mkdirSync(path.join(repo, 'apps/web/prod'), { recursive: true });
  fs.writeFileSync(path.join(repo, 'apps/web/prod/kustomization.yaml'), 'resources: []\n');
  fs.writeFileSync(path.join(repo, 'apps/web/values.yaml'), 'image: {}\n');
  fs.writeFileSync(path.join(root, 'outside.yaml'), 'secret: 1\n');
  fs.symlinkSync(path.join(root, 'outside.yaml'), path.join(repo, 'out.yaml'));
  fs.symlinkSync('values.yaml', path.join(repo, 'apps/web/inside.yaml'));
  fs.symlinkSync(root, path.join(repo, 'up'));
  execFileSync('mkfifo', [path.join(repo, 'fifo.yaml')]);
  fs.writeFileSync(path.join(repo, 'big.yaml'), Buffer.alloc(5 * 1024 * 1024, 'a'));
  fs.mkdirSync(path.join(repo, '.git'));
  fs.writeFileSync(path.join(repo, '.git/config'), '[core]\n');
});

afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

describe('resolveTargetFiles', () => {
  test('returns real absolute paths and repository-relative display paths', () => {
    const files = resolveTargetFiles(repo, ['apps/web/prod/kustomization.yaml', './apps//web/values.yaml']);
    expect(files).toEqual([
      {
        absolute: path.join(fs.realpathSync(repo), 'apps/web/prod/kustomization.yaml'),
        display: 'apps/web/prod/kustomization.yaml',
      },
      { absolute: path.join(fs.realpathSync(repo), 'apps/web/values.yaml'), display: 'apps/web/values.yaml' },
    ]);
  });

  test.each([
    ['/etc/passwd', /absolute paths are refused/],
    ['../outside.yaml', /"\.\." is refused/],
    ['apps/../../outside.yaml', /"\.\." is refused/],
    ['apps/web\0/values.yaml', /^InputError: input "path": "apps\/web\\u0000\/values.yaml" is not valid/],
    [
      'apps/web/values.yaml\n--upload-pack=touch /tmp/x',
      /^InputError: input "path": "apps\/web\/values.yaml\\n--upload-pack/,
    ],
    ['.git/config', /files under \.git are refused/],
    ['', /is not valid/],
  ])('refuses %j', (p, message) => {
    expect(failure(() => resolveTargetFiles(repo, [p]))).toMatch(message);
  });

  test('refuses symlinks, whether they leave the repository or not', () => {
    expect(failure(() => resolveTargetFiles(repo, ['out.yaml']))).toBe(
      'UserError: path "out.yaml": out.yaml is a symbolic link, and links are not followed',
    );
    expect(failure(() => resolveTargetFiles(repo, ['apps/web/inside.yaml']))).toMatch(/is a symbolic link/);
    expect(failure(() => resolveTargetFiles(repo, ['up/outside.yaml']))).toBe(
      'UserError: path "up/outside.yaml": up is a symbolic link, and links are not followed',
    );
  });

  test('refuses a FIFO without opening it (this test would hang otherwise)', () => {
    expect(failure(() => resolveTargetFiles(repo, ['fifo.yaml']))).toBe(
      'UserError: path "fifo.yaml" is not a regular file',
    );
  });

  test('refuses missing files, directories, oversized files and duplicates', () => {
    expect(failure(() => resolveTargetFiles(repo, ['apps/api/values.yaml']))).toBe(
      'UserError: path "apps/api/values.yaml" does not exist in the repository',
    );
    expect(failure(() => resolveTargetFiles(repo, ['apps/web/values.yaml/x']))).toBe(
      'UserError: path "apps/web/values.yaml/x": apps/web/values.yaml is not a directory',
    );
    expect(failure(() => resolveTargetFiles(repo, ['apps/web/prod']))).toBe(
      'UserError: path "apps/web/prod" is a directory: name the file, e.g. apps/web/prod/kustomization.yaml',
    );
    expect(failure(() => resolveTargetFiles(repo, ['big.yaml']))).toBe(
      'UserError: path "big.yaml": 5242880 bytes is more than the 4194304 a config file may have',
    );
    expect(
      failure(() => resolveTargetFiles(repo, ['apps/web/values.yaml', 'apps/./web/values.yaml'])),
    ).toMatch(/apps\/web\/values\.yaml is named twice/);
  });
});
