import { lintFindings } from '../../actions/helm-deploy/src/chart-lint.js';
import {
  goDuration,
  helmErrorLine,
  helmMajor,
  rollbackCommand,
  upgradeCommand,
  type UpgradeOptions,
} from '@kubeline/helm';

const base: UpgradeOptions = {
  release: 'web',
  chart: '/charts/web',
  target: { kubeconfig: '/tmp/kc', context: 'ctx', namespace: 'apps' },
  values: ['--values', '/v.yaml'],
  wait: true,
  rollbackOnFailure: true,
  timeoutMs: 90_000,
  force: false,
  serverSide: 'auto',
  dryRun: false,
  postRenderer: ['--post-renderer', 'pr'],
};

describe('helm-cli: the argv of each Helm major', () => {
  it('detects the major from the installed version', () => {
    expect(helmMajor('3.17.3')).toBe(3);
    expect(helmMajor('v4.1.4')).toBe(4);
    expect(() => helmMajor('2.17.0')).toThrow('helm 2.17.0 is not supported');
  });

  it('Helm 3: --atomic, --wait, --force, no --server-side', () => {
    const { args, warnings } = upgradeCommand(3, { ...base, force: true });
    expect(args).toEqual([
      'upgrade',
      '--install',
      'web',
      '/charts/web',
      '--kubeconfig',
      '/tmp/kc',
      '--kube-context',
      'ctx',
      '--namespace',
      'apps',
      '--values',
      '/v.yaml',
      '--atomic',
      '--wait',
      '--timeout',
      '90s',
      '--force',
      '--post-renderer',
      'pr',
      '--output',
      'json',
    ]);
    expect(warnings).toEqual([]);
  });

  it('Helm 4: --rollback-on-failure, --wait=watcher, --force-replace, --server-side', () => {
    const { args } = upgradeCommand(4, { ...base, force: true, serverSide: 'true' });
    expect(args).toContain('--rollback-on-failure');
    expect(args).toContain('--wait=watcher');
    expect(args).toContain('--force-replace');
    expect(args).toContain('--server-side=true');
    expect(args).not.toContain('--atomic');
    expect(args).not.toContain('--wait');
    expect(args).not.toContain('--force');
  });

  it('upgrades only, without --install, when asked (a run started ahead must not install CRDs)', () => {
    for (const major of [3, 4] as const) {
      const { args } = upgradeCommand(major, { ...base, install: false });
      expect(args.slice(0, 3)).toEqual(['upgrade', 'web', '/charts/web']);
      expect(args).not.toContain('--install');
      expect(upgradeCommand(major, base).args.slice(0, 2)).toEqual(['upgrade', '--install']);
    }
  });

  it('never passes --create-namespace (kubeline creates a missing namespace itself)', () => {
    expect(upgradeCommand(3, base).args).not.toContain('--create-namespace');
    expect(upgradeCommand(4, base).args).not.toContain('--create-namespace');
  });

  it('rollback-on-failure implies waiting; without both nothing waits', () => {
    expect(upgradeCommand(3, { ...base, wait: false }).args).toContain('--wait');
    expect(upgradeCommand(4, { ...base, wait: false }).args).toContain('--wait=watcher');
    const h3 = upgradeCommand(3, { ...base, wait: false, rollbackOnFailure: false }).args;
    const h4 = upgradeCommand(4, { ...base, wait: false, rollbackOnFailure: false }).args;
    expect(h3.some((a) => a.startsWith('--wait') || a === '--atomic')).toBe(false);
    expect(h4.some((a) => a.startsWith('--wait') || a === '--rollback-on-failure')).toBe(false);
  });

  it('server-side: true on Helm 3 is a warning, not a silently dropped flag', () => {
    const { args, warnings } = upgradeCommand(3, { ...base, serverSide: 'true' });
    expect(args.some((a) => a.startsWith('--server-side'))).toBe(false);
    expect(warnings).toEqual([
      'server-side: true is ignored: Helm 3 applies client-side only (use helm-version: 4)',
    ]);
  });

  it('a dry run renders on the server and neither waits nor rolls back', () => {
    for (const major of [3, 4] as const) {
      const { args } = upgradeCommand(major, { ...base, dryRun: true });
      expect(args).toContain('--dry-run=server');
      expect(args.some((a) => /^--(atomic|rollback-on-failure|wait)/.test(a))).toBe(false);
    }
  });

  it('rollback waits the way each major waits', () => {
    const t = base.target;
    expect(rollbackCommand(3, 'web', 2, t, { wait: true, timeoutMs: 1500 })).toEqual([
      'rollback',
      'web',
      '2',
      '--kubeconfig',
      '/tmp/kc',
      '--kube-context',
      'ctx',
      '--namespace',
      'apps',
      '--wait',
      '--timeout',
      '2s',
    ]);
    expect(rollbackCommand(4, 'web', 2, t, { wait: true, timeoutMs: 60_000 })).toContain('--wait=watcher');
    expect(
      rollbackCommand(4, 'web', 2, t, { wait: false, timeoutMs: 60_000 }).some((a) => a.startsWith('--wait')),
    ).toBe(false);
  });

  it('durations round up to whole seconds; errors keep helm’s last Error: line', () => {
    expect(goDuration(1)).toBe('1s');
    expect(goDuration(300_000)).toBe('300s');
    expect(helmErrorLine('walk.go: found symlink\nError: UPGRADE FAILED: context deadline exceeded\n')).toBe(
      'UPGRADE FAILED: context deadline exceeded',
    );
  });
});

describe('chart-lint: one finding per line on both majors', () => {
  it('joins Helm 4’s continuation lines, keeps Helm 3’s single lines', () => {
    const h4 =
      '==> Linting web\n[ERROR] templates/: web/templates/x.yaml:4:18\n  executing "x" at <.Values.a.b>:\n    nil pointer evaluating interface {}.b\n\n';
    const h3 =
      '==> Linting web\n[WARNING] templates/x.yaml: object name does not conform\n[ERROR] templates/: template: boom\nError: 1 chart(s) linted, 1 chart(s) failed\n';
    expect(lintFindings(h4)).toEqual([
      '[ERROR] templates/: web/templates/x.yaml:4:18 executing "x" at <.Values.a.b>: nil pointer evaluating interface {}.b',
    ]);
    expect(lintFindings(h3)).toEqual([
      '[WARNING] templates/x.yaml: object name does not conform',
      '[ERROR] templates/: template: boom',
    ]);
  });
});
