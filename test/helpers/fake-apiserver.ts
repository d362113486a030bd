import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { parse } from 'yaml';

/**
 * A tiny in-memory Kubernetes API server, just enough for real helm and kubectl to run their release
 * bookkeeping against it (no API server exists on the test machines): discovery, and
 * get/list/create/replace/patch/delete of core objects, Deployments and ArgoCD Applications. It records every request, so tests can assert
 * what the real tools asked the cluster to do. Not a cluster: no controllers, no validation.
 */
export interface FakeApiServer {
  url: string;
  requests: { method: string; path: string; body: string }[];
  /** Every request that is not a read (GET): what a dry run must never send, server-side dry runs included. */
  writes(): { method: string; path: string; body: string }[];
  /** Stored objects by `namespace/resource/name` ('' namespace for cluster-scoped objects). */
  objects: Map<string, Record<string, unknown>>;
  put(resource: string, object: Record<string, unknown>): void;
  /** Rejects the next request matching method + path (substring) with this HTTP status. */
  failNext(method: string, pathPart: string, code: number, message: string): void;
  close(): Promise<void>;
}

interface ResourceType {
  group: string;
  version: string;
  kind: string;
  namespaced: boolean;
}

/** By plural name (unique across the groups served here). */
const RESOURCES: Record<string, ResourceType> = {
  secrets: { group: '', version: 'v1', kind: 'Secret', namespaced: true },
  configmaps: { group: '', version: 'v1', kind: 'ConfigMap', namespaced: true },
  services: { group: '', version: 'v1', kind: 'Service', namespaced: true },
  serviceaccounts: { group: '', version: 'v1', kind: 'ServiceAccount', namespaced: true },
  persistentvolumeclaims: { group: '', version: 'v1', kind: 'PersistentVolumeClaim', namespaced: true },
  persistentvolumes: { group: '', version: 'v1', kind: 'PersistentVolume', namespaced: false },
  namespaces: { group: '', version: 'v1', kind: 'Namespace', namespaced: false },
  pods: { group: '', version: 'v1', kind: 'Pod', namespaced: true },
  deployments: { group: 'apps', version: 'v1', kind: 'Deployment', namespaced: true },
  // helm's watcher reads a Deployment's ReplicaSets before it calls it Current (none here: an empty list).
  replicasets: { group: 'apps', version: 'v1', kind: 'ReplicaSet', namespaced: true },
  applications: { group: 'argoproj.io', version: 'v1alpha1', kind: 'Application', namespaced: true },
  // For diffs of the example's gitops chart: it renders a CronJob and an Ingress besides core objects.
  cronjobs: { group: 'batch', version: 'v1', kind: 'CronJob', namespaced: true },
  ingresses: { group: 'networking.k8s.io', version: 'v1', kind: 'Ingress', namespaced: true },
  // The preview workflow gives a kind cluster the StorageClass and PriorityClasses the example's charts name.
  storageclasses: { group: 'storage.k8s.io', version: 'v1', kind: 'StorageClass', namespaced: false },
  priorityclasses: { group: 'scheduling.k8s.io', version: 'v1', kind: 'PriorityClass', namespaced: false },
};

const groupVersion = (r: ResourceType) => (r.group ? `${r.group}/${r.version}` : r.version);
const apiPrefix = (r: ResourceType) => (r.group ? `/apis/${r.group}/${r.version}` : '/api/v1');
const groupVersions = (types: Record<string, ResourceType>) => [
  ...new Set(
    Object.values(types)
      .filter((r) => r.group)
      .map(groupVersion),
  ),
];

function resourceList(types: Record<string, ResourceType>, gv: string): unknown {
  return {
    kind: 'APIResourceList',
    groupVersion: gv,
    resources: Object.entries(types)
      .filter(([, r]) => groupVersion(r) === gv)
      .map(([name, r]) => ({
        name,
        singularName: r.kind.toLowerCase(),
        namespaced: r.namespaced,
        kind: r.kind,
        verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
      })),
  };
}

/**
 * kubectl asks the OpenAPI v3 document of a group version whether the server validates fields itself (the
 * `fieldValidation` parameter on write operations); saying yes means it needs no client-side schemas.
 */
function openApi(types: Record<string, ResourceType>, gv: string): unknown {
  const paths: Record<string, unknown> = {};
  for (const [resource, r] of Object.entries(types).filter(([, r]) => groupVersion(r) === gv)) {
    const operation = {
      parameters: [{ name: 'fieldValidation', in: 'query', schema: { type: 'string' } }],
      'x-kubernetes-group-version-kind': { group: r.group, version: r.version, kind: r.kind },
    };
    const item = r.namespaced ? `${apiPrefix(r)}/namespaces/{namespace}/${resource}/{name}` : `${apiPrefix(r)}/${resource}/{name}`;
    paths[item] = { put: operation, patch: operation };
    paths[item.replace('/{name}', '')] = { post: operation };
  }
  return { openapi: '3.0.0', info: { title: 'fake', version: gv }, paths, components: { schemas: {} } };
}

/** What controllers would do at once: claims bind, services get an address (documentation range), deployments become available. */
function settle(object: Record<string, unknown>): void {
  const meta = object.metadata as Record<string, unknown>;
  if (object.kind === 'PersistentVolumeClaim') object.status = { phase: 'Bound' };
  if (object.kind === 'Service') {
    const spec = (object.spec ??= {}) as Record<string, unknown>;
    spec.clusterIP ??= '198.51.100.10';
    if (spec.type === 'LoadBalancer') object.status = { loadBalancer: { ingress: [{ ip: '198.51.100.53' }] } };
  }
  if (object.kind === 'Deployment') {
    meta.generation = 1;
    const replicas = Number((object.spec as Record<string, unknown> | undefined)?.replicas ?? 1);
    object.status = {
      observedGeneration: 1,
      replicas,
      updatedReplicas: replicas,
      readyReplicas: replicas,
      availableReplicas: replicas,
      conditions: [
        { type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable' },
        { type: 'Progressing', status: 'True', reason: 'NewReplicaSetAvailable' },
      ],
    };
  }
}

function sameContent(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  const strip = (o: Record<string, unknown>) => {
    const { resourceVersion: _rv, uid: _uid, creationTimestamp: _ts, ...meta } = (o.metadata ?? {}) as Record<string, unknown>;
    return JSON.stringify({ ...o, metadata: meta, status: undefined });
  };
  return strip(a) === strip(b);
}

/** JSON merge patch semantics (null deletes); also how this fake merges server-side applies. */
function merge(target: Record<string, unknown>, patch: Record<string, unknown>): Record<string, unknown> {
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete target[k];
    else if (typeof v === 'object' && !Array.isArray(v) && typeof target[k] === 'object' && target[k] !== null && !Array.isArray(target[k])) {
      merge(target[k] as Record<string, unknown>, v as Record<string, unknown>);
    } else target[k] = v;
  }
  return target;
}

/** Protobuf wire format, as far as client-go's Secret encoding needs (helm stores releases as Secrets). */
function protoFields(buf: Buffer): { field: number; value: Buffer | bigint }[] {
  const out: { field: number; value: Buffer | bigint }[] = [];
  let pos = 0;
  const varint = () => {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      const byte = buf[pos++];
      result |= BigInt(byte & 0x7f) << shift;
      if (byte < 0x80) return result;
      shift += 7n;
    }
  };
  while (pos < buf.length) {
    const key = Number(varint());
    const wire = key & 7;
    if (wire === 0) out.push({ field: key >> 3, value: varint() });
    else if (wire === 2) {
      const length = Number(varint());
      out.push({ field: key >> 3, value: buf.subarray(pos, pos + length) });
      pos += length;
    } else if (wire === 1) pos += 8;
    else if (wire === 5) pos += 4;
    else throw new Error(`unsupported protobuf wire type ${wire}`);
  }
  return out;
}

function protoMap(entries: Buffer[]): Record<string, Buffer> {
  const map: Record<string, Buffer> = {};
  for (const entry of entries) {
    const fields = protoFields(entry);
    const key = fields.find((f) => f.field === 1)?.value as Buffer | undefined;
    const value = fields.find((f) => f.field === 2)?.value as Buffer | undefined;
    if (key) map[key.toString()] = value ?? Buffer.alloc(0);
  }
  return map;
}

/** `k8s\0` + runtime.Unknown{raw: Secret} → the Secret as JSON (metadata name/namespace/labels, type, data). */
function decodeProtobufSecret(body: Buffer): Record<string, unknown> {
  const unknown = protoFields(body.subarray(4));
  const raw = unknown.find((f) => f.field === 2)?.value as Buffer;
  const secret = protoFields(raw);
  const bytes = (fields: typeof secret, n: number) => fields.filter((f) => f.field === n).map((f) => f.value as Buffer);
  const meta = protoFields(bytes(secret, 1)[0] ?? Buffer.alloc(0));
  const text = (n: number) => bytes(meta, n)[0]?.toString();
  const labels = Object.fromEntries(Object.entries(protoMap(bytes(meta, 11))).map(([k, v]) => [k, v.toString()]));
  const data = Object.fromEntries(Object.entries(protoMap(bytes(secret, 2))).map(([k, v]) => [k, v.toString('base64')]));
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: text(1), namespace: text(3), ...(text(6) ? { resourceVersion: text(6) } : {}), labels },
    type: bytes(secret, 3)[0]?.toString(),
    data,
  };
}

export async function startFakeApiServer(options: { argocd?: boolean } = {}): Promise<FakeApiServer> {
  // Without ArgoCD, its Application CRD is not served (what `kubectl get applications` sees before the bootstrap).
  const types = Object.fromEntries(Object.entries(RESOURCES).filter(([name]) => options.argocd !== false || name !== 'applications'));
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
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const url = new URL(req.url ?? '/', 'http://fake');
      const method = req.method ?? 'GET';
      const isProtobuf = raw.subarray(0, 4).toString('latin1') === 'k8s\0';
      requests.push({ method, path: url.pathname + url.search, body: isProtobuf ? '<protobuf>' : raw.toString() });
      const send = (code: number, payload: unknown) => {
        res.writeHead(code, { 'content-type': 'application/json' });
        res.end(JSON.stringify(payload));
      };
      const status = (code: number, reason: string, message: string) =>
        send(code, { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason, code, message });
      const failure = failures.findIndex((f) => f.method === method && url.pathname.includes(f.pathPart));
      if (failure >= 0) {
        const [f] = failures.splice(failure, 1);
        return status(f.code, f.code === 422 ? 'Invalid' : 'InternalError', f.message);
      }
      // helm writes release records (Secrets) as protobuf; kubectl and helm's resource client send JSON or YAML.
      const body = (): Record<string, unknown> => (isProtobuf ? decodeProtobufSecret(raw) : (parse(raw.toString()) as Record<string, unknown>));

      if (url.pathname === '/version') return send(200, { major: '1', minor: '33', gitVersion: 'v1.33.0-fake', platform: 'linux/amd64' });
      // kubectl asks the OpenAPI v3 index whether the server validates fields itself.
      if (url.pathname === '/openapi/v3') {
        const index: Record<string, unknown> = { 'api/v1': { serverRelativeURL: '/openapi/v3/api/v1?hash=fake' } };
        for (const gv of groupVersions(types)) index[`apis/${gv}`] = { serverRelativeURL: `/openapi/v3/apis/${gv}?hash=fake` };
        return send(200, { paths: index });
      }
      if (url.pathname === '/openapi/v3/api/v1') return send(200, openApi(types, 'v1'));
      if (url.pathname.startsWith('/openapi/v3/apis/')) return send(200, openApi(types, url.pathname.slice('/openapi/v3/apis/'.length)));
      if (url.pathname === '/api') return send(200, { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [] });
      if (url.pathname === '/apis') {
        const groups = groupVersions(types).map((gv) => {
          const [name, version] = gv.split('/');
          return { name, versions: [{ groupVersion: gv, version }], preferredVersion: { groupVersion: gv, version } };
        });
        return send(200, { kind: 'APIGroupList', apiVersion: 'v1', groups });
      }
      if (url.pathname === '/api/v1') return send(200, resourceList(types, 'v1'));
      const gvPath = /^\/apis\/([^/]+\/[^/]+)$/.exec(url.pathname);
      if (gvPath) return groupVersions(types).includes(gvPath[1]) ? send(200, resourceList(types, gvPath[1])) : status(404, 'NotFound', 'not found');
      const match = /^\/(?:api\/v1|apis\/([^/]+)\/([^/]+))\/(?:namespaces\/([^/]+)\/)?([a-z]+)(?:\/([^/]+))?$/.exec(url.pathname);
      // `/api/v1/namespaces/<name>` is a Namespace itself, not a namespaced collection.
      const nsObject = /^\/api\/v1\/namespaces\/([^/]+)$/.exec(url.pathname);
      const [resource = '', nsPart, name] = nsObject ? ['namespaces', undefined, nsObject[1]] : match ? [match[4], match[3], match[5]] : [];
      const type = types[resource] as ResourceType | undefined;
      if (!type || (match && !nsObject && (match[1] ?? '') !== type.group)) {
        return status(404, 'NotFound', `the server could not find the requested resource (${url.pathname})`);
      }
      const ns = type.namespaced ? (nsPart ?? '') : '';
      const kind = type.kind;
      const apiVersion = groupVersion(type);
      const dryRun = url.searchParams.get('dryRun') === 'All';
      const store = (k: string, object: Record<string, unknown>) => {
        const candidate: Record<string, unknown> = { ...object, kind, apiVersion };
        const current = objects.get(k);
        // Like an API server: a no-op write (or a dry run) does not bump the resourceVersion.
        if (current && (dryRun || sameContent(current, candidate))) {
          const { resourceVersion, uid } = current.metadata as Record<string, unknown>;
          return { ...candidate, metadata: { ...(candidate.metadata as object), resourceVersion, uid } };
        }
        const stored = stamp(candidate);
        settle(stored);
        if (!dryRun) objects.set(k, stored);
        return stored;
      };

      if (!name) {
        if (method === 'GET' && url.searchParams.get('watch') === 'true') {
          // As an API server without the WatchList feature: clients fall back to list + watch.
          if (url.searchParams.get('sendInitialEvents') === 'true') {
            return status(422, 'Invalid', 'sendInitialEvents is forbidden for watch unless the WatchList feature gate is enabled');
          }
          // Nothing ever changes behind the client's back here: the watch stays open and silent.
          res.writeHead(200, { 'content-type': 'application/json' });
          res.flushHeaders();
          return;
        }
        if (method === 'GET') {
          const selector = url.searchParams.get('labelSelector');
          const wanted = selector ? selector.split(',').map((pair) => pair.split('=')) : [];
          const items = [...objects.entries()]
            .filter(([k]) => (ns ? k.startsWith(`${ns}/${resource}/`) : k.split('/')[1] === resource))
            .map(([, o]) => o)
            .filter((o) => {
              const labels = ((o.metadata as Record<string, unknown>).labels ?? {}) as Record<string, string>;
              return wanted.every(([k, v]) => labels[k] === v);
            });
          return send(200, { kind: `${kind}List`, apiVersion, metadata: { resourceVersion: String(version) }, items });
        }
        if (method === 'POST') {
          const object = body();
          const objName = String((object.metadata as Record<string, unknown>).name);
          if (objects.has(key(ns, resource, objName))) return status(409, 'AlreadyExists', `${resource} "${objName}" already exists`);
          return send(201, store(key(ns, resource, objName), object));
        }
        return status(405, 'MethodNotAllowed', 'method not allowed');
      }

      const k = key(ns, resource, name);
      const existing = objects.get(k);
      const notFound = () => status(404, 'NotFound', `${resource} "${name}" not found`);
      if (method === 'GET') return existing ? send(200, existing) : notFound();
      if (method === 'DELETE') {
        if (!existing) return notFound();
        if (!dryRun) objects.delete(k);
        return send(200, { kind: 'Status', apiVersion: 'v1', status: 'Success' });
      }
      if (method === 'PUT') {
        const object = body();
        const sent = (object.metadata as Record<string, unknown>).resourceVersion;
        if (existing && sent && sent !== (existing.metadata as Record<string, unknown>).resourceVersion) {
          return status(409, 'Conflict', `Operation cannot be fulfilled on ${resource} "${name}": the object has been modified`);
        }
        return send(existing ? 200 : 201, store(k, object));
      }
      if (method === 'PATCH') {
        // Server-side apply creates or merges; merge and strategic patches merge into an existing object.
        const isApply = (req.headers['content-type'] ?? '').includes('apply-patch');
        if (!existing && !isApply) return notFound();
        const merged = merge(structuredClone(existing ?? {}), body());
        return send(existing ? 200 : 201, store(k, merged));
      }
      return status(405, 'MethodNotAllowed', 'method not allowed');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    writes: () => requests.filter((r) => r.method !== 'GET'),
    objects,
    put(resource, object) {
      const meta = object.metadata as Record<string, unknown>;
      const type = RESOURCES[resource];
      const ns = type.namespaced ? String(meta.namespace ?? 'default') : '';
      objects.set(key(ns, resource, String(meta.name)), stamp({ ...object, kind: type.kind, apiVersion: groupVersion(type) }));
    },
    failNext(method, pathPart, code, message) {
      failures.push({ method, pathPart, code, message });
    },
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
