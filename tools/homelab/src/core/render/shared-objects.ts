import { apiGroup, builtinClusterScoped } from '../model/cluster-scoped.ts';
import { splitManifests } from '../validate/documents.ts';
import { isRecord } from '../workspace/yaml-docs.ts';

/** An object of a render as the API server would store it. */
interface Placed {
  group: string;
  kind: string;
  name: string;
  /** Where it lands: its own namespace, else the release's; `''` when cluster-scoped. */
  namespace: string;
  /** No built-in scope and no CustomResourceDefinition says: it may be cluster-scoped. */
  unknownScope: boolean;
}

/** `group/Kind` → cluster-scoped, from the CustomResourceDefinitions among the given manifests. */
function customScopes(manifests: readonly string[]): Map<string, boolean> {
  const scopes = new Map<string, boolean>();
  for (const manifest of manifests) {
    for (const { value } of splitManifests(manifest)) {
      if (!isRecord(value) || value.kind !== 'CustomResourceDefinition' || !isRecord(value.spec)) continue;
      const { group, names, scope } = value.spec;
      if (typeof group === 'string' && isRecord(names) && typeof names.kind === 'string') scopes.set(`${group}/${names.kind}`, scope === 'Cluster');
    }
  }
  return scopes;
}

function place(manifest: string, releaseNamespace: string, scopes: Map<string, boolean>): Placed[] {
  const placed: Placed[] = [];
  for (const { value } of splitManifests(manifest)) {
    if (!isRecord(value) || typeof value.apiVersion !== 'string' || typeof value.kind !== 'string' || !isRecord(value.metadata)) continue;
    const { name, namespace } = value.metadata;
    if (typeof name !== 'string') continue;
    const group = apiGroup(value.apiVersion);
    const clusterScoped = builtinClusterScoped(group, value.kind) ?? scopes.get(`${group}/${value.kind}`);
    const own = typeof namespace === 'string' && namespace ? namespace : releaseNamespace;
    placed.push({ group, kind: value.kind, name, namespace: clusterScoped ? '' : own, unknownScope: clusterScoped === undefined });
  }
  return placed;
}

/** `Secret argocd/x`, `ClusterRole x`; an object of unknown scope by name only (where it lands is unknown). */
const describe = (o: Placed) => `${o.kind} ${o.namespace && !o.unknownScope ? `${o.namespace}/` : ''}${o.name}`;

/** What a second copy of a release (a preview) would share with the release itself, and what it puts elsewhere. */
export interface CopyFootprint {
  /** Objects both would write: the copy would take them over, and removing it would delete them. */
  shared: string[];
  /** Objects of the copy outside its own namespace that are its alone (removed with its helm release, not with the namespace). */
  outside: string[];
}

/**
 * Compares the render of a release with the render of its copy under another name and namespace. An object the
 * copy renders is shared when the release renders the same kind and name at the same place: cluster-scoped (a
 * Namespace, a ClusterRole named without the release), or pinned to a namespace in the template. A custom kind
 * whose CustomResourceDefinition is in neither render nor `crds` may be cluster-scoped: shared when the names match.
 */
export function copyFootprint(
  original: { manifest: string; namespace: string },
  copy: { manifest: string; namespace: string },
  crds: readonly string[] = [],
): CopyFootprint {
  const scopes = customScopes([original.manifest, copy.manifest, ...crds]);
  const before = place(original.manifest, original.namespace, scopes);
  const same = (a: Placed, b: Placed) =>
    a.group === b.group && a.kind === b.kind && a.name === b.name && (a.namespace === b.namespace || (a.unknownScope && b.unknownScope));
  const shared: string[] = [];
  const outside: string[] = [];
  for (const object of place(copy.manifest, copy.namespace, scopes)) {
    if (before.some((o) => same(o, object))) shared.push(`${describe(object)}${object.unknownScope ? ' (scope unknown: no CustomResourceDefinition)' : ''}`);
    else if (object.namespace !== copy.namespace) outside.push(describe(object));
  }
  return { shared, outside };
}
