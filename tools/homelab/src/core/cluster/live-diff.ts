/**
 * The render against the live cluster, compared in memory. `kubectl diff` writes the live and the merged objects
 * to LIVE-… and MERGED-… temp dirs (the merged ones carry the decrypted values) and runs `diff` on them; here kubectl
 * only reads the render on stdin and answers on stdout (`get` for the live objects, a server-side apply dry run
 * for the merged ones), and the comparison, shown as kubectl's `diff -u -N` would show it, happens in memory.
 */
import { stringify } from 'yaml';
import { HomelabError } from '../model/errors.ts';
import { unifiedDiff } from '../exec/line-diff.ts';
import type { Masker } from '../exec/mask.ts';
import { splitResources } from '../ci/render-diff.ts';
import { isRecord } from '../workspace/yaml-docs.ts';

type KubeObject = Record<string, unknown>;

/** Byte order, as `diff` walks a directory: the same on every machine, whatever the locale. */
const byName = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

export interface NamespaceGroup {
  /** What kubectl gets as `--namespace`: never one that contradicts an object of the group. */
  namespace: string;
  manifest: string;
}

/**
 * The render split by namespace: kubectl refuses a `--namespace` other than an object's own, and a chart may
 * render into several. An object without one goes to the release namespace, as helm and ArgoCD place it
 * (cluster-scoped objects too: kubectl ignores the namespace for them). The release namespace comes first.
 */
export function namespaceGroups(manifest: string, releaseNamespace: string): NamespaceGroup[] {
  const groups = new Map<string, string[]>([[releaseNamespace, []]]);
  for (const resource of splitResources(manifest).values()) {
    const namespace = resource.namespace || releaseNamespace;
    groups.set(namespace, [...(groups.get(namespace) ?? []), resource.text]);
  }
  return [...groups.entries()]
    .filter(([, texts]) => texts.length > 0)
    .sort(([a], [b]) => (a === releaseNamespace ? -1 : b === releaseNamespace ? 1 : byName(a, b)))
    .map(([namespace, texts]) => ({ namespace, manifest: texts.join('---\n') }));
}

/** The objects of kubectl's `-o json` answer: one object, or a List of them. */
export function kubectlObjects(stdout: string, what: string): KubeObject[] {
  let value: unknown;
  try {
    value = stdout.trim() === '' ? { kind: 'List', items: [] } : JSON.parse(stdout);
  } catch {
    throw new HomelabError(
      `kubectl answered ${what} with output that is not JSON`,
      'check that kubectl works against this cluster (kubectl get --raw /version)',
      2,
    );
  }
  if (!isRecord(value)) return [];
  if (value.kind === 'List') return Array.isArray(value.items) ? value.items.filter(isRecord) : [];
  return [value];
}

const text = (value: unknown) => (typeof value === 'string' ? value : '');

/** kubectl diff's file name for an object: `<group>.<version>.<Kind>.<namespace>.<name>`. */
export function objectFileName(object: KubeObject): string {
  const metadata = isRecord(object.metadata) ? object.metadata : {};
  return [text(object.apiVersion).replace('/', '.'), text(object.kind), text(metadata.namespace), text(metadata.name)].join('.');
}

/**
 * What the comparison ignores: the managed fields (kubectl diff hides them too), and the resourceVersion and
 * generation a write bumps, which only repeat what the other lines show.
 */
function comparable(object: KubeObject): KubeObject {
  const copy = structuredClone(object);
  if (isRecord(copy.metadata)) {
    delete copy.metadata.managedFields;
    delete copy.metadata.resourceVersion;
    delete copy.metadata.generation;
  }
  return copy;
}

/** The masker sees each object as a YAML document of its own, so a Secret's data is masked whole. */
function maskedYaml(object: KubeObject, masker: Masker): string {
  return masker.mask(stringify(object, { sortMapEntries: true, lineWidth: 0 }));
}

export interface ObjectDiff {
  /** kubectl diff's file name of the object. */
  name: string;
  /** `diff -u -N LIVE/<name> MERGED/<name>` output, of the masked objects. */
  diff: string;
}

/** One diff per object that would change (a missing live object is new: `-N`), in kubectl diff's file order. */
export function diffObjects(live: KubeObject[], merged: KubeObject[], masker: Masker): ObjectDiff[] {
  const liveByName = new Map(live.map((object) => [objectFileName(object), object]));
  const diffs: ObjectDiff[] = [];
  for (const object of merged) {
    const name = objectFileName(object);
    const before = liveByName.get(name);
    const [from, to] = [`LIVE/${name}`, `MERGED/${name}`];
    const lines = unifiedDiff(before ? maskedYaml(comparable(before), masker) : '', maskedYaml(comparable(object), masker), { from, to });
    if (lines !== '') diffs.push({ name, diff: `diff -u -N ${from} ${to}\n${lines}` });
  }
  return diffs.sort((a, b) => byName(a.name, b.name));
}
