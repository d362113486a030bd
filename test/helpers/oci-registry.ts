import { createHash, randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runTool } from '../../tools/homelab/src/core/exec/process.ts';
import { extractBundledHelm } from '../../tools/homelab/src/core/helm/helm.ts';
import { authorized, packageCharts, type ServerOptions } from './chart-repo.ts';

export interface OciRegistry {
  /** `127.0.0.1:<port>` */
  host: string;
  requests: string[];
  /** Packages the charts with real `helm package` and pushes each with real `helm push` to `oci://<host>/<repository>`. */
  push(repository: string, charts: Record<string, Record<string, string>>): Promise<void>;
  /** A helm registry config (what `helm registry login` writes) holding this registry's credentials. */
  registryConfig(dir: string): Promise<string>;
  close(): Promise<void>;
}

const sha256 = (data: Buffer) => `sha256:${createHash('sha256').update(data).digest('hex')}`;

/**
 * An OCI registry on 127.0.0.1 speaking the subset of the distribution API helm's push and pull use: blob uploads
 * (POST then PUT with the digest), blob HEAD/GET, manifest PUT/HEAD/GET by tag or digest, and tags/list. Plain HTTP,
 * in memory; with `auth`, every request without the Basic credentials gets a 401 Basic challenge.
 */
export async function startOciRegistry(options: ServerOptions = {}): Promise<OciRegistry> {
  const blobs = new Map<string, Buffer>();
  const manifests = new Map<string, { body: Buffer; type: string }>();
  const tags = new Map<string, string[]>();
  const requests: string[] = [];
  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://registry');
    requests.push(`${req.method} ${url.pathname}`);
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    if (!authorized(req, options.auth)) {
      res.writeHead(401, { 'www-authenticate': 'Basic realm="registry"', 'content-type': 'application/json' });
      res.end(JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'authentication required' }] }));
      return;
    }
    const send = (status: number, payload?: Buffer, headers: Record<string, string> = {}) => {
      res.writeHead(status, { ...headers, 'content-length': String(payload?.length ?? 0) });
      res.end(req.method === 'HEAD' ? undefined : payload);
    };
    const notFound = (code: string) =>
      send(404, Buffer.from(JSON.stringify({ errors: [{ code, message: code.toLowerCase() }] })), { 'content-type': 'application/json' });
    if (url.pathname === '/v2/' || url.pathname === '/v2') return send(200, Buffer.from('{}'));
    let m = /^\/v2\/(.+)\/blobs\/uploads\/([^/]*)$/.exec(url.pathname);
    if (m) {
      if (req.method === 'POST') return send(202, undefined, { location: `/v2/${m[1]}/blobs/uploads/${randomUUID()}` });
      const digest = url.searchParams.get('digest') ?? '';
      if (sha256(body) !== digest) return send(400, Buffer.from('{"errors":[{"code":"DIGEST_INVALID"}]}'));
      blobs.set(digest, body);
      return send(201, undefined, { location: `/v2/${m[1]}/blobs/${digest}`, 'docker-content-digest': digest });
    }
    m = /^\/v2\/(.+)\/blobs\/(sha256:[a-f0-9]+)$/.exec(url.pathname);
    if (m) {
      const blob = blobs.get(m[2]);
      return blob ? send(200, blob, { 'docker-content-digest': m[2], 'content-type': 'application/octet-stream' }) : notFound('BLOB_UNKNOWN');
    }
    m = /^\/v2\/(.+)\/manifests\/([^/]+)$/.exec(url.pathname);
    if (m) {
      const [, name, reference] = m;
      if (req.method === 'PUT') {
        const digest = sha256(body);
        const manifest = { body, type: req.headers['content-type'] ?? 'application/vnd.oci.image.manifest.v1+json' };
        manifests.set(`${name}@${digest}`, manifest);
        if (!reference.startsWith('sha256:')) {
          manifests.set(`${name}:${reference}`, manifest);
          tags.set(name, [...new Set([...(tags.get(name) ?? []), reference])]);
        }
        return send(201, undefined, { 'docker-content-digest': digest, location: `/v2/${name}/manifests/${digest}` });
      }
      const manifest = manifests.get(reference.startsWith('sha256:') ? `${name}@${reference}` : `${name}:${reference}`);
      if (!manifest) return notFound('MANIFEST_UNKNOWN');
      return send(200, manifest.body, { 'content-type': manifest.type, 'docker-content-digest': sha256(manifest.body) });
    }
    m = /^\/v2\/(.+)\/tags\/list$/.exec(url.pathname);
    if (m) {
      const list = tags.get(m[1]);
      if (!list) return notFound('NAME_UNKNOWN');
      return send(200, Buffer.from(JSON.stringify({ name: m[1], tags: list })), { 'content-type': 'application/json' });
    }
    notFound('UNSUPPORTED');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const host = `127.0.0.1:${(server.address() as AddressInfo).port}`;

  const registryConfig = async (dir: string) => {
    const file = path.join(dir, 'registry-config.json');
    const auths = options.auth ? { [host]: { auth: Buffer.from(`${options.auth.username}:${options.auth.password}`).toString('base64') } } : {};
    await writeFile(file, JSON.stringify({ auths }));
    return file;
  };

  return {
    host,
    requests,
    registryConfig,
    async push(repository, charts) {
      const helm = await extractBundledHelm();
      const work = await mkdtemp(path.join(tmpdir(), 'oci-push-'));
      try {
        const config = await registryConfig(work);
        for (const archive of await packageCharts(charts, work, path.join(work, 'out'))) {
          const pushed = await runTool(helm, ['push', archive, `oci://${host}/${repository}`, '--plain-http'], {
            env: { HELM_REGISTRY_CONFIG: config, HELM_CACHE_HOME: path.join(work, 'cache'), HELM_CONFIG_HOME: path.join(work, 'config') },
          });
          if (pushed.exitCode !== 0) throw new Error(pushed.stderr);
        }
      } finally {
        await rm(work, { recursive: true, force: true });
      }
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
