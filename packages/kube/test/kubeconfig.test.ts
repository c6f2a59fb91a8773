import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  isKubeconfigContent,
  kubeconfigSecrets,
  parseKubeconfig,
  prepareKubeconfig,
  removeWrittenKubeconfig,
} from '@kubeline/kube';
import { InputError, UserError, clearSecrets, mask } from '@kubeline/runtime';
import { parse } from 'yaml';

const TOKEN = 'eyJhbGciOiJSUzI1NiJ9.sa-token-value';
const KEY_DATA = 'LS0tLS1CRUdJTiBFQyBQUklWQVRFIEtFWS0tLS0tCg==';

const kubeconfig = `apiVersion: v1
kind: Config
clusters:
  - name: prod
    cluster:
      server: https://prod.example:6443
      certificate-authority: certs/ca.crt
  - name: staging
    cluster:
      server: https://staging.example:6443
users:
  - name: deployer
    user:
      token: ${TOKEN}
  - name: admin
    user:
      client-certificate-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCg==
      client-key-data: ${KEY_DATA}
  - name: basic
    user:
      username: ops
      password: hunter2-hunter2
  - name: plugin
    user:
      exec:
        apiVersion: client.authentication.k8s.io/v1
        command: get-token
        env:
          - name: VAULT_TOKEN
            value: s.vault-secret-value
          - name: REGION
            value: eu-west-1
contexts:
  - name: prod
    context: { cluster: prod, user: deployer, namespace: shop }
  - name: staging
    context: { cluster: staging, user: admin }
current-context: prod
`;

let temp: string;
let env: NodeJS.ProcessEnv;

beforeEach(() => {
  clearSecrets();
  temp = fs.mkdtempSync(path.join(os.tmpdir(), 'kubeline-kubeconfig-test-'));
  env = {
    RUNNER_TEMP: path.join(temp, 'runner-temp'),
    HOME: path.join(temp, 'home'),
    KUBELINE_PLATFORM: 'cli',
  };
});

afterEach(() => fs.rmSync(temp, { recursive: true, force: true }));

describe('content or path', () => {
  it('treats YAML or JSON with apiVersion/clusters as content and anything else as a path', () => {
    expect(isKubeconfigContent(kubeconfig)).toBe(true);
    expect(isKubeconfigContent('{"apiVersion":"v1","clusters":[]}')).toBe(true);
    expect(isKubeconfigContent('clusters:\n- name: a')).toBe(true);
    expect(isKubeconfigContent('/home/runner/.kube/config')).toBe(false);
    expect(isKubeconfigContent('./clusters.yaml')).toBe(false);
  });
});

describe('prepareKubeconfig with content', () => {
  it('writes it 0600 in a 0700 dir under the runner temp dir, and cleanup removes it', () => {
    const k = prepareKubeconfig({ kubeconfig, env });
    expect(k.source).toBe('content');
    expect(path.dirname(k.path)).toBe(env.RUNNER_TEMP);
    expect(path.basename(k.path)).toMatch(/^kubeline-kubeconfig-[0-9a-f]{16}\.yaml$/);
    expect(fs.statSync(k.path).mode & 0o777).toBe(0o600);
    expect(fs.statSync(env.RUNNER_TEMP!).mode & 0o777).toBe(0o700);
    expect({ context: k.context, namespace: k.namespace, server: k.server, user: k.user }).toEqual({
      context: 'prod',
      namespace: 'shop',
      server: 'https://prod.example:6443',
      user: 'deployer',
    });
    k.cleanup();
    expect(fs.existsSync(k.path)).toBe(false);
    expect(() => k.cleanup()).not.toThrow();
  });

  it('masks every credential: tokens, client keys, passwords and exec plugin secrets', () => {
    prepareKubeconfig({ kubeconfig, env }).cleanup();
    const line = `token=${TOKEN} key=${KEY_DATA} pw=hunter2-hunter2 vault=s.vault-secret-value region=eu-west-1`;
    expect(mask(line)).toBe('token=*** key=*** pw=*** vault=*** region=eu-west-1');
  });

  it('finds credentials only under users, not file paths or names', () => {
    const secrets = kubeconfigSecrets(parse(kubeconfig));
    expect(secrets.sort()).toEqual([TOKEN, KEY_DATA, 'hunter2-hunter2', 's.vault-secret-value'].sort());
  });

  it('selects the context input, writes it as current-context, and takes its namespace or default', () => {
    const k = prepareKubeconfig({ kubeconfig, context: 'staging', env });
    const written = parse(fs.readFileSync(k.path, 'utf8'));
    expect(written['current-context']).toBe('staging');
    expect(k.namespace).toBe('default');
    expect(k.server).toBe('https://staging.example:6443');
    // A relative certificate path keeps its meaning once the file lives elsewhere.
    expect(written.clusters[0].cluster['certificate-authority']).toBe(path.resolve('certs/ca.crt'));
    k.cleanup();
  });

  it('lets the namespace input win over the context namespace', () => {
    const k = prepareKubeconfig({ kubeconfig, namespace: 'team-a', env });
    expect(k.namespace).toBe('team-a');
    k.cleanup();
  });

  it('names the context input, the value and the contexts that exist', () => {
    const run = () => prepareKubeconfig({ kubeconfig, context: 'qa', env });
    expect(run).toThrow(InputError);
    expect(run).toThrow('input "context": "qa" is not valid; available contexts: prod, staging');
  });

  it('reports invalid YAML with the input name and the line, without quoting the line', () => {
    const broken = kubeconfig.replace('      token: ', '      token: x: ');
    let err: Error | undefined;
    try {
      prepareKubeconfig({ kubeconfig: broken, env });
    } catch (e) {
      err = e as Error;
    }
    expect(err).toBeInstanceOf(UserError);
    expect(err!.message).toMatch(/^input "kubeconfig": invalid YAML at line 14: Nested mappings/);
    expect(err!.message).not.toContain(TOKEN);
    expect(fs.existsSync(env.RUNNER_TEMP!) ? fs.readdirSync(env.RUNNER_TEMP!) : []).toEqual([]);
  });

  it('refuses YAML that is not a kubeconfig', () => {
    expect(() => parseKubeconfig('apiVersion: v1\nkind: Pod\n', 'input "kubeconfig"')).toThrow(
      'input "kubeconfig": not a kubeconfig (it has no clusters or no contexts)',
    );
  });

  it('names a context that points at a missing cluster', () => {
    const dangling = kubeconfig.replace('cluster: staging, user: admin', 'cluster: gone, user: admin');
    expect(() => prepareKubeconfig({ kubeconfig: dangling, context: 'staging', env })).toThrow(
      'kubeconfig context "staging" refers to cluster "gone", which is not defined',
    );
  });
});

describe('prepareKubeconfig with a path or nothing', () => {
  it('uses a path in place, resolving ~, and cleanup leaves the user file alone', () => {
    fs.mkdirSync(path.join(env.HOME!, 'kube'), { recursive: true });
    const file = path.join(env.HOME!, 'kube', 'ci.yaml');
    fs.writeFileSync(file, kubeconfig);
    const k = prepareKubeconfig({ kubeconfig: '~/kube/ci.yaml', context: 'staging', env });
    expect(k).toMatchObject({ path: file, source: 'file', context: 'staging' });
    expect(mask(TOKEN)).toBe('***');
    k.cleanup();
    expect(fs.readFileSync(file, 'utf8')).toBe(kubeconfig);
  });

  it('names the input when the path does not exist', () => {
    expect(() => prepareKubeconfig({ kubeconfig: path.join(temp, 'nope.yaml'), env })).toThrow(
      `input "kubeconfig": cannot read ${path.join(temp, 'nope.yaml')}: no such file`,
    );
  });

  it('takes base64-encoded content (as CI secrets often hold it) as content, and masks the blob', () => {
    const blob = Buffer.from(kubeconfig).toString('base64');
    const k = prepareKubeconfig({ kubeconfig: blob, context: 'staging', env });
    expect(k).toMatchObject({ source: 'content', context: 'staging' });
    expect(mask(`x ${blob} y`)).toBe('x *** y');
    expect(mask(TOKEN)).toBe('***');
    k.cleanup();
  });

  it('never echoes a value that is no path: a token-like string, a multi-line text, a NUL', () => {
    const planted = 'c2VjcmV0LXRva2VuLXRoYXQtaXMtbm90LWEta3ViZWNvbmZpZw';
    for (const value of [planted, `line one\n${planted}`, `a\0${planted}`]) {
      let message = '';
      try {
        prepareKubeconfig({ kubeconfig: value, env });
      } catch (e) {
        expect(e).toBeInstanceOf(UserError);
        message = (e as Error).message;
      }
      expect(message).toBe(
        'input "kubeconfig": not kubeconfig YAML, base64-encoded kubeconfig, or the path of a file (value not shown)',
      );
    }
    expect(mask(planted)).toBe('***');
  });

  it('refuses a FIFO (or any non-regular file) instead of blocking on it', () => {
    const fifo = path.join(temp, 'kubeconfig.fifo');
    spawnSync('mkfifo', [fifo]);
    expect(() => prepareKubeconfig({ kubeconfig: fifo, env })).toThrow(
      `input "kubeconfig": ${fifo} is not a regular file`,
    );
  });

  it('falls back to ~/.kube/config like kubectl', () => {
    fs.mkdirSync(path.join(env.HOME!, '.kube'), { recursive: true });
    fs.writeFileSync(path.join(env.HOME!, '.kube', 'config'), kubeconfig);
    const k = prepareKubeconfig({ env });
    expect(k).toMatchObject({
      path: path.join(env.HOME!, '.kube', 'config'),
      source: 'home',
      context: 'prod',
    });
  });

  it('merges a KUBECONFIG list with the first definition winning, into a private file', () => {
    const a = path.join(temp, 'a.yaml');
    const b = path.join(temp, 'b.yaml');
    fs.writeFileSync(a, kubeconfig.replace('current-context: prod\n', ''));
    fs.writeFileSync(
      b,
      `clusters: [{name: dev, cluster: {server: "https://dev:6443"}}, {name: prod, cluster: {server: "https://other:1"}}]
users: [{name: dev, user: {token: dev-token-123}}]
contexts: [{name: dev, context: {cluster: dev, user: dev}}]
current-context: dev
`,
    );
    const k = prepareKubeconfig({
      env: { ...env, KUBECONFIG: [a, path.join(temp, 'missing'), b].join(':') },
    });
    expect(k).toMatchObject({ source: 'KUBECONFIG', context: 'dev', server: 'https://dev:6443' });
    expect(path.dirname(k.path)).toBe(env.RUNNER_TEMP);
    const merged = parse(fs.readFileSync(k.path, 'utf8'));
    expect(merged.clusters.find((c: { name: string }) => c.name === 'prod').cluster.server).toBe(
      'https://prod.example:6443',
    );
    expect(merged.clusters[0].cluster['certificate-authority']).toBe(path.join(temp, 'certs/ca.crt'));
    expect(mask('dev-token-123')).toBe('***');
    k.cleanup();
  });

  it('says where to put a kubeconfig when there is none', () => {
    expect(() => prepareKubeconfig({ env })).toThrow(
      'no kubeconfig: give the "kubeconfig" input (content or path), set KUBECONFIG, or create ~/.kube/config',
    );
  });
});

describe('removeWrittenKubeconfig', () => {
  it('removes a file kubeline wrote and nothing else', () => {
    const k = prepareKubeconfig({ kubeconfig, env });
    const other = path.join(env.RUNNER_TEMP!, 'user-file.yaml');
    fs.writeFileSync(other, 'x');
    expect(removeWrittenKubeconfig(other, env)).toBe(false);
    expect(fs.existsSync(other)).toBe(true);
    expect(removeWrittenKubeconfig(k.path, env)).toBe(true);
    expect(fs.existsSync(k.path)).toBe(false);
  });
});
