import fs from 'node:fs';
import type { IncomingHttpHeaders } from 'node:http';
import {
  KubelineError,
  TransientError,
  UserError,
  addSecret,
  isTransientStatus,
  retry,
} from '@kubeline/runtime';
import { dockerConfigCredentials, parseChallenge, type Credentials } from './registry-auth.js';
import { apiHost, formatReference, type ImageRef } from './reference.js';
import { isLoopbackRegistry as isLoopback } from './registry-ca.js';

export const MANIFEST_TYPES = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
];
const INDEX_TYPES = new Set(MANIFEST_TYPES.slice(0, 2));

export interface RegistryOptions {
  credentials?: Credentials;
  /** PEM file of a CA to trust for this registry (self-signed or internal registries). */
  caFile?: string;
}

export interface ManifestInfo {
  digest: string;
  mediaType: string;
  /** Per-platform manifests when the reference is an index (multi-platform image). */
  platforms: Array<{ platform: string; digest: string }>;
}

/** An OCI descriptor as a referrers list or an index carries it. */
export interface Descriptor {
  mediaType: string;
  digest: string;
  artifactType?: string;
  annotations?: Record<string, string>;
}

const INDEX = 'application/vnd.oci.image.index.v1+json';

interface Response {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** Reads manifests from an OCI registry: the Distribution API, with basic or token auth. */
export class RegistryClient {
  private token: string | undefined;
  /** Per host, for every client in this process: a loopback registry found to speak plain HTTP. */
  private static readonly plainHttp = new Set<string>();
  private readonly ca: Buffer | undefined;

  constructor(
    private readonly registry: string,
    private readonly opts: RegistryOptions = {},
  ) {
    this.ca = opts.caFile ? fs.readFileSync(opts.caFile) : undefined;
    if (opts.credentials) addSecret(opts.credentials.password);
  }

  private async credentials(): Promise<Credentials | undefined> {
    return this.opts.credentials ?? (await dockerConfigCredentials(this.registry));
  }

  /** The manifest a reference names: its digest, media type and, for an index, its platforms. */
  async manifest(ref: ImageRef): Promise<ManifestInfo | undefined> {
    const reference = ref.digest ?? ref.tag ?? 'latest';
    const res = await this.request(`/v2/${ref.repository}/manifests/${reference}`, 'GET', ref.repository, {
      accept: MANIFEST_TYPES.join(', '),
    });
    if (res.status === 404) return undefined;
    if (res.status !== 200) throw this.failure(res, formatReference(ref));
    const digest = String(res.headers['docker-content-digest'] ?? '') || sha256(res.body);
    const doc = JSON.parse(res.body.toString('utf8')) as {
      mediaType?: string;
      manifests?: Array<{
        digest: string;
        platform?: { os: string; architecture: string; variant?: string };
        annotations?: Record<string, string>;
      }>;
    };
    const mediaType = doc.mediaType ?? String(res.headers['content-type'] ?? '');
    const platforms = INDEX_TYPES.has(mediaType)
      ? (doc.manifests ?? [])
          // Attestation manifests ride in the index as platform unknown/unknown: not a runnable platform.
          .filter(
            (m) =>
              m.platform &&
              m.platform.os !== 'unknown' &&
              m.annotations?.['vnd.docker.reference.type'] !== 'attestation-manifest',
          )
          .map((m) => ({
            platform: [m.platform!.os, m.platform!.architecture, m.platform!.variant]
              .filter(Boolean)
              .join('/'),
            digest: m.digest,
          }))
      : [];
    return { digest, mediaType, platforms };
  }

  /**
   * The manifests whose subject is `digest` (signatures, attestations, SBOMs): the OCI 1.1 referrers
   * API, else the `sha256-<hex>` tag index that clients maintain on registries without it.
   */
  async referrers(repository: string, digest: string): Promise<Descriptor[]> {
    const api = await this.request(`/v2/${repository}/referrers/${digest}`, 'GET', repository, {
      accept: INDEX,
    });
    if (api.status === 200) return this.descriptors(api);
    if (api.status !== 404 && api.status !== 400)
      throw this.failure(api, `the referrers of ${repository}@${digest}`);
    const tag = digest.replace(':', '-');
    const fallback = await this.request(`/v2/${repository}/manifests/${tag}`, 'GET', repository, {
      accept: INDEX,
    });
    if (fallback.status === 404) return [];
    if (fallback.status !== 200) throw this.failure(fallback, `${repository}:${tag}`);
    return this.descriptors(fallback);
  }

  /** One manifest as JSON (its annotations, artifactType, layers); undefined when there is none. */
  async manifestDocument(
    repository: string,
    reference: string,
  ): Promise<Record<string, unknown> | undefined> {
    const res = await this.request(`/v2/${repository}/manifests/${reference}`, 'GET', repository, {
      accept: [...MANIFEST_TYPES].join(', '),
    });
    if (res.status === 404) return undefined;
    if (res.status !== 200) throw this.failure(res, `${repository}:${reference}`);
    return JSON.parse(res.body.toString('utf8')) as Record<string, unknown>;
  }

  /**
   * Points `tag` at the manifest `digest` that `repository` already holds: the same bytes put under
   * the tag, so the digest stays the one pushed. Needs push access (the token is asked again for it).
   */
  async tag(repository: string, digest: string, tag: string): Promise<void> {
    const got = await this.request(`/v2/${repository}/manifests/${digest}`, 'GET', repository, {
      accept: MANIFEST_TYPES.join(', '),
    });
    if (got.status !== 200) throw this.failure(got, `${repository}@${digest}`);
    const mediaType =
      (JSON.parse(got.body.toString('utf8')) as { mediaType?: string }).mediaType ??
      String(got.headers['content-type'] ?? '');
    const put = await this.request(
      `/v2/${repository}/manifests/${tag}`,
      'PUT',
      repository,
      { 'content-type': mediaType, 'content-length': String(got.body.length) },
      got.body,
    );
    if (put.status !== 201 && put.status !== 200) throw this.failure(put, `${repository}:${tag}`);
  }

  private descriptors(res: Response): Descriptor[] {
    const doc = JSON.parse(res.body.toString('utf8')) as { manifests?: Descriptor[] };
    return doc.manifests ?? [];
  }

  private failure(res: Response, what: string): KubelineError {
    const detail = res.body.toString('utf8').slice(0, 300).trim();
    if (res.status === 401)
      return new UserError(`registry ${this.registry} refused the credentials for ${what} (HTTP 401)`);
    if (res.status === 403)
      return new UserError(`registry ${this.registry} denied access to ${what} (HTTP 403)`);
    return new KubelineError(
      `registry ${this.registry} answered HTTP ${res.status} for ${what}${detail ? `: ${detail}` : ''}`,
    );
  }

  private async request(
    pathname: string,
    method: string,
    repository: string,
    headers: Record<string, string>,
    body?: Buffer,
  ): Promise<Response> {
    let res = await this.send(pathname, method, headers, body);
    if (res.status === 401 && res.headers['www-authenticate']) {
      await this.authenticate(String(res.headers['www-authenticate']), repository);
      res = await this.send(pathname, method, headers, body);
    }
    return res;
  }

  private async authenticate(challenge: string, repository: string): Promise<void> {
    const { scheme, params } = parseChallenge(challenge);
    const creds = await this.credentials();
    if (scheme === 'basic') {
      if (!creds)
        throw new UserError(
          `registry ${this.registry} needs credentials (registry-username / registry-password or docker login)`,
        );
      this.token = `Basic ${Buffer.from(`${creds.username}:${creds.password}`).toString('base64')}`;
      return;
    }
    if (scheme !== 'bearer' || !params.realm)
      throw new KubelineError(`registry ${this.registry} asked for unsupported auth: ${challenge}`);
    const url = new URL(params.realm);
    if (params.service) url.searchParams.set('service', params.service);
    url.searchParams.set('scope', params.scope ?? `repository:${repository}:pull`);
    const auth: Record<string, string> = creds
      ? { authorization: `Basic ${Buffer.from(`${creds.username}:${creds.password}`).toString('base64')}` }
      : {};
    const res = await this.raw(url, 'GET', auth);
    if (res.status !== 200) throw this.failure(res, `a token for ${repository}`);
    const body = JSON.parse(res.body.toString('utf8')) as { token?: string; access_token?: string };
    const token = body.token ?? body.access_token;
    if (!token) throw new KubelineError(`registry ${this.registry} token endpoint returned no token`);
    addSecret(token);
    this.token = `Bearer ${token}`;
  }

  private async send(
    pathname: string,
    method: string,
    headers: Record<string, string>,
    body?: Buffer,
  ): Promise<Response> {
    const host = apiHost(this.registry);
    const attempt = (scheme: string) =>
      this.raw(
        new URL(`${scheme}://${host}${pathname}`),
        method,
        { ...headers, ...(this.token ? { authorization: this.token } : {}) },
        body,
      );
    if (RegistryClient.plainHttp.has(host)) return attempt('http');
    try {
      return await attempt('https');
    } catch (e) {
      // Like docker, a loopback registry may speak plain HTTP: fall back when its TLS handshake fails.
      if (isLoopback(host) && /EPROTO|wrong version number|ECONNRESET/.test(String((e as Error).message))) {
        RegistryClient.plainHttp.add(host);
        return attempt('http');
      }
      throw e;
    }
  }

  private raw(url: URL, method: string, headers: Record<string, string>, body?: Buffer): Promise<Response> {
    return retry(
      () =>
        new Promise<Response>((resolve, reject) => {
          // loaded on first use (~10 ms with crypto): trivy-scan spawns trivy before it asks a registry
          const lib =
            url.protocol === 'http:'
              ? process.getBuiltinModule('node:http')
              : process.getBuiltinModule('node:https');
          const req = lib.request(
            url,
            {
              method,
              headers,
              ...(url.protocol === 'https:' && this.ca ? { ca: this.ca } : {}),
              timeout: 30_000,
            },
            (res) => {
              const chunks: Buffer[] = [];
              res.on('data', (c: Buffer) => chunks.push(c));
              res.on('end', () => {
                const out = {
                  status: res.statusCode ?? 0,
                  headers: res.headers,
                  body: Buffer.concat(chunks),
                };
                if (isTransientStatus(out.status))
                  reject(
                    new TransientError(`registry ${this.registry} answered HTTP ${out.status}`, out.status),
                  );
                else resolve(out);
              });
            },
          );
          req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })));
          req.on('error', (e: NodeJS.ErrnoException) => {
            if (e.code === 'ENOTFOUND' || e.code === 'ECONNREFUSED')
              reject(new UserError(`cannot reach registry ${this.registry}: ${e.code}`));
            else if (/certificate|self.signed|CERT_/i.test(e.message))
              reject(
                new UserError(
                  `registry ${this.registry}: TLS certificate not trusted (${e.message}); give its CA`,
                ),
              );
            else reject(e);
          });
          req.end(body);
        }),
      { attempts: 3, baseDelayMs: 500 },
    );
  }
}

function sha256(body: Buffer): string {
  return `sha256:${process.getBuiltinModule('node:crypto').createHash('sha256').update(body).digest('hex')}`;
}
