import { gzipSync } from 'node:zlib';
import {
  decodeStoredRelease,
  historyEntryOf,
  releasesInSecrets,
  storageSecretName,
} from '../src/release-storage.js';

// What helm writes: base64(gzip(json)), which Kubernetes base64-encodes again in Secret data.
const secretValue = (body: Buffer | string, gzip = true): string => {
  const raw = Buffer.from(body);
  const helmEncoded = (gzip ? gzipSync(raw) : raw).toString('base64');
  return Buffer.from(helmEncoded).toString('base64');
};

describe('decodeStoredRelease', () => {
  const release = { name: 'web', version: 3, manifest: '---\nkind: Service\nmetadata:\n  name: web\n' };

  it('reads the manifest from a Secret value as helm stores it', () => {
    expect(decodeStoredRelease(secretValue(JSON.stringify(release)))).toEqual({ manifest: release.manifest });
  });

  it('reads a record helm stored without gzip', () => {
    expect(decodeStoredRelease(secretValue(JSON.stringify(release), false))?.manifest).toBe(release.manifest);
  });

  it('refuses a record that inflates past the cap instead of reading it', () => {
    // a valid release whose manifest alone is 65 MB: ~64 kB gzipped, readable but for the cap
    const bomb = `{"manifest":"${'a'.repeat(65 * 1024 * 1024)}"}`;
    expect(decodeStoredRelease(secretValue(bomb))).toBeUndefined();
    const underCap = `{"manifest":"${'a'.repeat(1024 * 1024)}"}`;
    expect(decodeStoredRelease(secretValue(underCap))?.manifest).toHaveLength(1024 * 1024);
  });

  it.each([
    ['no payload', undefined],
    ['empty', ''],
    ['not JSON', secretValue('not json')],
    ['JSON without a manifest', secretValue('{"name":"web"}')],
    ['a manifest of the wrong type', secretValue('{"manifest":42}')],
  ])('gives undefined (ask helm) for %s', (_, payload) => {
    expect(decodeStoredRelease(payload)).toBeUndefined();
  });
});

describe('historyEntryOf', () => {
  const record = {
    version: 4,
    manifest: '',
    info: {
      status: 'superseded',
      last_deployed: '2026-12-06T18:48:55.123456789Z',
      description: 'Rollback to 2',
    },
    chart: { metadata: { name: 'web', version: '1.2.3', appVersion: '2.0' } },
  };

  it('gives the row helm history prints, in helm’s own formatting', () => {
    expect(historyEntryOf(record)).toEqual({
      revision: 4,
      updated: '2026-12-06T18:48:55.123456789Z',
      status: 'superseded',
      chart: 'web-1.2.3',
      app_version: '2.0',
      description: 'Rollback to 2',
    });
  });

  it('says MISSING for a release stored without its chart, as helm does', () => {
    expect(historyEntryOf({ ...record, chart: null })).toMatchObject({
      chart: 'MISSING',
      app_version: 'MISSING',
    });
  });

  it('reads a chart without an appVersion and a release without a description as empty', () => {
    const bare = {
      ...record,
      info: { ...record.info, description: undefined },
      chart: { metadata: { name: 'web', version: '1.2.3' } },
    };
    expect(historyEntryOf(bare)).toMatchObject({ app_version: '', description: '' });
  });

  it.each([
    ['no revision', { ...record, version: undefined }],
    ['a revision that is no integer', { ...record, version: 4.5 }],
    ['a revision as a string', { ...record, version: '4' }],
    ['no status', { ...record, info: { ...record.info, status: undefined } }],
    ['no deploy time', { ...record, info: { ...record.info, last_deployed: 12 } }],
    ['no info', { ...record, info: undefined }],
  ])('gives undefined (ask helm) for %s', (_, broken) => {
    expect(historyEntryOf(broken as Parameters<typeof historyEntryOf>[0])).toBeUndefined();
  });
});

describe('releasesInSecrets', () => {
  it.each([
    [undefined, true],
    ['', true],
    ['secret', true],
    ['Secrets', true],
    ['configmap', false],
    ['sql', false],
    ['memory', false],
  ])('HELM_DRIVER=%s → %s', (driver, expected) => {
    expect(releasesInSecrets(driver === undefined ? {} : { HELM_DRIVER: driver })).toBe(expected);
  });
});

it('names the Secret as helm does', () => {
  expect(storageSecretName('web', 12)).toBe('sh.helm.release.v1.web.v12');
});
