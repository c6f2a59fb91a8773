// Which image a GitOps rollback restores: read from the trailers of earlier promotions.
import { describe, expect, test } from '@jest/globals';
import { promotionsIn } from '../src/history.js';

const d = (c: string) => `sha256:${c.repeat(64)}`;
const msg = (name: string, digest: string, env?: string) =>
  `Promote ${name}\n\n- a.yaml: x\n\nKubeline-Image: ${name}@${digest}\n${env ? `Kubeline-Environment: ${env}\n` : ''}`;

describe('promotionsIn', () => {
  test('reads name, digest and environment from trailers, newest first, skipping other commits', () => {
    const found = promotionsIn([
      { sha: '3', message: msg('registry.local/web', d('c'), 'production') },
      { sha: '2', message: 'Fix a typo in the README' },
      { sha: '1', message: msg('registry.local/web', d('a')) },
    ]);
    expect(found).toEqual([
      { sha: '3', name: 'registry.local/web', digest: d('c'), environment: 'production' },
      { sha: '1', name: 'registry.local/web', digest: d('a') },
    ]);
  });

  test('a trailer-like line that is not a digest is not a promotion', () => {
    expect(promotionsIn([{ sha: '1', message: 'Kubeline-Image: web@sha256:short' }])).toEqual([]);
  });
});
