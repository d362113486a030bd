import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A tiny in-memory Kubernetes API server, just enough for real helm and kubectl to run their release
 * bookkeeping against it (no API server exists on the test machines): discovery, and
 * get/list/create/replace/patch/delete of core objects. It records every request, so tests can assert
 * what the real tools asked the cluster to do. Not a cluster: no controllers, no validation.
 */
export interface FakeApiServer {
  url: string;
  requests: { method: string; path: string; body: string }[];
  /** Stored objects by `namespace/resource/name` ('' namespace for cluster-scoped objects). */
  objects: Map<string, Record<string, unknown>>;
  put(resource: string, object: Record<string, unknown>): void;
  /** Rejects the next request matching method + path (substring) with this HTTP status. */
  failNext(method: string, pathPart: string, code: number, message: string): void;
  close(): Promise<void>;
}

const RESOURCES: Record<string, { kind: string; namespaced: boolean }> = {
  secrets: { kind: 'Secret', namespaced: true },
  configmaps: { kind: 'ConfigMap', namespaced: true },
  services: { kind: 'Service', namespaced: true },
  serviceaccounts: { kind: 'ServiceAccount', namespaced: true },
  persistentvolumeclaims: { kind: 'PersistentVolumeClaim', namespaced: true },
  persistentvolumes: { kind: 'PersistentVolume', namespaced: false },
  namespaces: { kind: 'Namespace', namespaced: false },
  pods: { kind: 'Pod', namespaced: true },
};

/**
 * kubectl asks the OpenAPI v3 document whether the server validates fields itself (the `fieldValidation`
 * parameter on write operations); saying yes means it sends the object without client-side schemas.
 */
function openApiV1(): unknown {
  const paths: Record<string, unknown> = {};
  for (const [resource, { kind, namespaced }] of Object.entries(RESOURCES)) {
    const operation = {
      parameters: [{ name: 'fieldValidation', in: 'query', schema: { type: 'string' } }],
      'x-kubernetes-group-version-kind': { group: '', version: 'v1', kind },
    };
    const item = namespaced ? `/api/v1/namespaces/{namespace}/${resource}/{name}` : `/api/v1/${resource}/{name}`;
    paths[item] = { put: operation, patch: operation };
    paths[item.replace('/{name}', '')] = { post: operation };
  }
  return { openapi: '3.0.0', info: { title: 'fake', version: 'v1' }, paths, components: { schemas: {} } };
}

export async function startFakeApiServer(): Promise<FakeApiServer> {
  const requests: FakeApiServer['requests'] = [];
  const objects = new Map<string, Record<string, unknown>>();
  const failures: { method: string; pathPart: string; code: number; message: string }[] = [];
  let version = 100;

  const key = (ns: string, resource: string, name: string) => `${ns}/${resource}/${name}`;
  const stamp = (object: Record<string, unknown>) => {
    const meta = (object.metadata ??= {}) as Record<string, unknown>;
    meta.resourceVersion = String(++version);
    meta.uid ??= `uid-${version}`;
    meta.creationTimestamp ??= '2026-01-01T00:00:00Z';
    return object;
  };

  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://fake');
      const method = req.method ?? 'GET';
      requests.push({ method, path: url.pathname + url.search, body });
      const send = (code: number, payload: unknown) => {
        res.writeHead(code, { 'content-type': 'application/json' });
        res.end(JSON.stringify(payload));
      };
      const status = (code: number, reason: string, message: string) => send(code, { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason, code, message });
      const failure = failures.findIndex((f) => f.method === method && url.pathname.includes(f.pathPart));
      if (failure >= 0) {
        const [f] = failures.splice(failure, 1);
        return status(f.code, f.code === 422 ? 'Invalid' : 'InternalError', f.message);
      }

      if (url.pathname === '/version') return send(200, { major: '1', minor: '33', gitVersion: 'v1.33.0-fake', platform: 'linux/amd64' });
      // kubectl validates manifests against the server's OpenAPI documents: an empty v3 index satisfies it.
      if (url.pathname === '/openapi/v3') return send(200, { paths: { 'api/v1': { serverRelativeURL: '/openapi/v3/api/v1?hash=fake' } } });
      if (url.pathname === '/openapi/v3/api/v1') return send(200, openApiV1());
      if (url.pathname === '/api') return send(200, { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [] });
      if (url.pathname === '/apis') return send(200, { kind: 'APIGroupList', apiVersion: 'v1', groups: [] });
      if (url.pathname === '/api/v1') {
        return send(200, {
          kind: 'APIResourceList',
          groupVersion: 'v1',
          resources: Object.entries(RESOURCES).map(([name, r]) => ({
            name,
            singularName: r.kind.toLowerCase(),
            namespaced: r.namespaced,
            kind: r.kind,
            verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
          })),
        });
      }
      const match = /^\/api\/v1\/(?:namespaces\/([^/]+)\/)?([a-z]+)(?:\/([^/]+))?$/.exec(url.pathname);
      if (!match || !RESOURCES[match[2]]) return status(404, 'NotFound', `the server could not find the requested resource (${url.pathname})`);
      const [, nsPart, resource, name] = match;
      // `/api/v1/namespaces/<name>` addresses a Namespace itself.
      const isNamespaceObject = resource === 'namespaces';
      const ns = RESOURCES[resource].namespaced ? (nsPart ?? '') : '';
      const kind = RESOURCES[resource].kind;
      if (isNamespaceObject && nsPart) return status(404, 'NotFound', 'not found');

      if (!name) {
        // Watches end at once: helm's waiters fall back to listing, which is all they need here.
        if (method === 'GET' && url.searchParams.get('watch') === 'true') {
          res.writeHead(200, { 'content-type': 'application/json' });
          return res.end();
        }
        if (method === 'GET') {
          const selector = url.searchParams.get('labelSelector');
          const wanted = selector ? selector.split(',').map((pair) => pair.split('=')) : [];
          const items = [...objects.entries()]
            .filter(([k]) => k.startsWith(`${ns}/${resource}/`) || (!nsPart && k.split('/')[1] === resource))
            .map(([, o]) => o)
            .filter((o) => {
              const labels = ((o.metadata as Record<string, unknown>).labels ?? {}) as Record<string, string>;
              return wanted.every(([k, v]) => labels[k] === v);
            });
          return send(200, { kind: `${kind}List`, apiVersion: 'v1', metadata: { resourceVersion: String(version) }, items });
        }
        if (method === 'POST') {
          if (!body.startsWith('{')) return status(415, 'UnsupportedMediaType', 'the fake API server reads JSON bodies only');
          const object = JSON.parse(body) as Record<string, unknown>;
          const objName = String((object.metadata as Record<string, unknown>).name);
          if (objects.has(key(ns, resource, objName))) return status(409, 'AlreadyExists', `${resource} "${objName}" already exists`);
          objects.set(key(ns, resource, objName), stamp({ ...object, kind, apiVersion: 'v1' }));
          return send(201, objects.get(key(ns, resource, objName)));
        }
        return status(405, 'MethodNotAllowed', 'method not allowed');
      }

      const k = key(ns, resource, name);
      const existing = objects.get(k);
      if (method === 'GET') return existing ? send(200, existing) : status(404, 'NotFound', `${resource} "${name}" not found`);
      if (method === 'DELETE') {
        if (!existing) return status(404, 'NotFound', `${resource} "${name}" not found`);
        objects.delete(k);
        return send(200, { kind: 'Status', apiVersion: 'v1', status: 'Success' });
      }
      if (method === 'PUT') {
        // helm writes its release records as protobuf: keep them as they were (status bookkeeping only).
        if (!body.startsWith('{')) return existing ? send(200, stamp(existing)) : status(404, 'NotFound', `${resource} "${name}" not found`);
        const object = JSON.parse(body) as Record<string, unknown>;
        const sent = (object.metadata as Record<string, unknown>).resourceVersion;
        if (existing && sent && sent !== (existing.metadata as Record<string, unknown>).resourceVersion) {
          return status(409, 'Conflict', `Operation cannot be fulfilled on ${resource} "${name}": the object has been modified`);
        }
        objects.set(k, stamp({ ...object, kind, apiVersion: 'v1' }));
        return send(200, objects.get(k));
      }
      if (method === 'PATCH') {
        if (!existing) return status(404, 'NotFound', `${resource} "${name}" not found`);
        const patch = JSON.parse(body) as Record<string, unknown>;
        const meta = existing.metadata as Record<string, unknown>;
        const patchMeta = (patch.metadata ?? {}) as Record<string, unknown>;
        for (const field of ['annotations', 'labels'] as const) {
          if (patchMeta[field]) meta[field] = { ...((meta[field] as object) ?? {}), ...(patchMeta[field] as object) };
        }
        objects.set(k, stamp(existing));
        return send(200, existing);
      }
      return status(405, 'MethodNotAllowed', 'method not allowed');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    objects,
    put(resource, object) {
      const meta = object.metadata as Record<string, unknown>;
      const ns = RESOURCES[resource].namespaced ? String(meta.namespace ?? 'default') : '';
      objects.set(key(ns, resource, String(meta.name)), stamp({ ...object, kind: RESOURCES[resource].kind, apiVersion: 'v1' }));
    },
    failNext(method, pathPart, code, message) {
      failures.push({ method, pathPart, code, message });
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
