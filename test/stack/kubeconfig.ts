// Kubeconfig files of the stack: self-contained (certificates embedded), one per identity.
import { readFileSync, writeFileSync } from 'node:fs';
import { stringify } from 'yaml';

export type Credentials = { certFile: string; keyFile: string } | { token: string };

export interface KubeconfigSpec {
  server: string;
  caFile: string;
  user: string;
  credentials: Credentials;
  namespace?: string;
}

const base64File = (path: string) => readFileSync(path).toString('base64');

export function renderKubeconfig(spec: KubeconfigSpec): string {
  const user =
    'token' in spec.credentials
      ? { token: spec.credentials.token }
      : {
          'client-certificate-data': base64File(spec.credentials.certFile),
          'client-key-data': base64File(spec.credentials.keyFile),
        };
  const context = {
    cluster: 'kubeline-stack',
    user: spec.user,
    ...(spec.namespace ? { namespace: spec.namespace } : {}),
  };
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      {
        name: 'kubeline-stack',
        cluster: { server: spec.server, 'certificate-authority-data': base64File(spec.caFile) },
      },
    ],
    users: [{ name: spec.user, user }],
    contexts: [{ name: spec.user, context }],
    'current-context': spec.user,
  });
}

export function writeKubeconfig(path: string, spec: KubeconfigSpec): void {
  writeFileSync(path, renderKubeconfig(spec), { mode: 0o600 });
}
