// Which image a GitOps rollback restores: read from the trailers of earlier promotions.
import { describe, expect, test } from '@jest/globals';
import { healthyLine, wasHealthy } from '../src/health-record.js';
import { promotionsIn } from '../src/history.js';

const d = (c: string) => `sha256:${c.repeat(64)}`;
const msg = (name: string, digest: string, env?: string) =>
  `Promote ${name}\n\n- a.yaml: x\n\nKubeline-Image: ${name}@${digest}\n${env ? `Kubeline-Environment: ${env}\n` : ''}`;

describe('promotionsIn', () => {
  test('reads name, digest and environment from trailers, newest first, skipping other commits', () => {
    const found = promotionsIn([
      { sha: '3', message: msg('registry.local/web', d('c'), 'production') },
      { sha: '2', message: 'Fix a typo in the README' },
      {
        sha: '1',
        message: msg('registry.local/web', d('a')),
        note: 'Kubeline-Healthy: - 2026-12-07T06:00:00.000Z',
      },
    ]);
    expect(found).toEqual([
      { sha: '3', name: 'registry.local/web', digest: d('c'), environment: 'production', note: '' },
      {
        sha: '1',
        name: 'registry.local/web',
        digest: d('a'),
        note: 'Kubeline-Healthy: - 2026-12-07T06:00:00.000Z',
      },
    ]);
  });

  test('a trailer-like line that is not a digest is not a promotion', () => {
    expect(promotionsIn([{ sha: '1', message: 'Kubeline-Image: web@sha256:short' }])).toEqual([]);
  });
});

describe('wasHealthy', () => {
  const at = new Date('2026-12-07T06:00:00Z');
  test('a line for the environment, or for none, counts; another environment or a look-alike does not', () => {
    const prod = healthyLine('production', at);
    expect(prod).toBe('Kubeline-Healthy: production 2026-12-07T06:00:00.000Z');
    expect(wasHealthy(prod, 'production')).toBe(true);
    expect(wasHealthy(prod)).toBe(true);
    expect(wasHealthy(prod, 'staging')).toBe(false);
    expect(wasHealthy(healthyLine(undefined, at), 'staging')).toBe(true);
    expect(wasHealthy(`${healthyLine('staging', at)}\n${prod}`, 'production')).toBe(true);
    expect(wasHealthy('', 'production')).toBe(false);
    expect(wasHealthy('see Kubeline-Healthy: production now', 'production')).toBe(false);
  });
});
