import { gunzipSync, gzipSync } from 'node:zlib';
import { isMap, parseAllDocuments, parseDocument } from 'yaml';
import { apiGroup, builtinClusterScoped } from '../model/cluster-scoped.ts';
import { HomelabError } from '../model/errors.ts';
import { isRecord } from '../workspace/yaml-docs.ts';

/**
 * Data safety for `uninstall`. `helm uninstall` deletes every object of the release's stored manifest,
 * except those whose *stored* manifest carries `helm.sh/resource-policy: keep` (helm's
 * filterManifestsToKeep reads the release record, not the live objects). So keeping a PVC means:
 * annotate the live object (later upgrades honour that) and add the annotation to the stored manifest
 * of the release's last revision, which is what the uninstall reads.
 */
export const KEEP_ANNOTATION = 'helm.sh/resource-policy';

/** Kinds whose deletion loses data: the volume claim and volume, a whole namespace, every CR of a CRD. */
const STATE_KINDS: Record<string, string> = {
  PersistentVolumeClaim: 'persistentvolumeclaim',
  PersistentVolume: 'persistentvolume',
  Namespace: 'namespace',
  CustomResourceDefinition: 'customresourcedefinition.apiextensions.k8s.io',
};

export interface StateHolder {
  kind: string;
  name: string;
  /** '' for cluster-scoped kinds. */
  namespace: string;
  /** Already `helm.sh/resource-policy: keep` in the manifest: helm keeps it anyway. */
  keptByChart: boolean;
}

/** State-holding objects of a release manifest (`helm get manifest`, or a render for dry-runs). */
export function findStateHolders(manifest: string, releaseNamespace: string): StateHolder[] {
  const holders: StateHolder[] = [];
  for (const doc of parseAllDocuments(manifest, { version: '1.1' })) {
    const object: unknown = doc.errors.length ? undefined : doc.toJS();
    if (!isRecord(object) || typeof object.kind !== 'string' || !(object.kind in STATE_KINDS)) continue;
    const meta = isRecord(object.metadata) ? object.metadata : {};
    if (typeof meta.name !== 'string') continue;
    const annotations = isRecord(meta.annotations) ? meta.annotations : {};
    const clusterScoped = builtinClusterScoped(apiGroup(String(object.apiVersion ?? '')), object.kind);
    const namespace = clusterScoped ? '' : typeof meta.namespace === 'string' && meta.namespace ? meta.namespace : releaseNamespace;
    holders.push({ kind: object.kind, name: meta.name, namespace, keptByChart: annotations[KEEP_ANNOTATION] === 'keep' });
  }
  return holders;
}

export function describeHolder(holder: StateHolder): string {
  return `${holder.kind} ${holder.name}${holder.namespace ? ` (namespace ${holder.namespace})` : ''}`;
}

/** `kubectl annotate` argv (after `--context`) marking one live object as kept. */
export function annotateKeepArgs(holder: StateHolder): string[] {
  const args = ['annotate'];
  if (holder.namespace) args.push('--namespace', holder.namespace);
  args.push(`${STATE_KINDS[holder.kind]}/${holder.name}`, `${KEEP_ANNOTATION}=keep`, '--overwrite');
  return args;
}

/**
 * Adds the keep annotation to the given objects in a stored manifest. Documents are split as helm splits
 * them (`---` lines); every other document stays byte-identical.
 */
export function keepInManifest(manifest: string, holders: StateHolder[], releaseNamespace: string): string {
  const wanted = new Set(holders.map((h) => `${h.kind}/${h.namespace}/${h.name}`));
  const parts = manifest.split(/^(---[^\n]*\n)/m);
  let found = 0;
  const out = parts.map((part) => {
    if (/^---/.test(part) || part.trim() === '') return part;
    const doc = parseDocument(part, { version: '1.1' });
    if (doc.errors.length > 0 || !isMap(doc.contents)) return part;
    const [holder] = findStateHolders(part, releaseNamespace);
    if (!holder || !wanted.has(`${holder.kind}/${holder.namespace}/${holder.name}`)) return part;
    found += 1;
    if (!isMap(doc.getIn(['metadata', 'annotations'], true))) doc.setIn(['metadata', 'annotations'], doc.createNode({}));
    doc.setIn(['metadata', 'annotations', KEEP_ANNOTATION], 'keep');
    const text = doc.toString({ lineWidth: 0 });
    return part.endsWith('\n') ? text : text.replace(/\n$/, '');
  });
  if (found !== wanted.size) {
    throw new HomelabError(
      `the release record does not contain every object to keep (${found} of ${wanted.size} found)`,
      'nothing was uninstalled; run `helm get manifest` for the release and report this',
    );
  }
  return out.join('');
}

/** Helm's release encoding in its storage drivers: base64(gzip(JSON)) (pkg/storage/driver/util.go). */
export function decodeRelease(encoded: string): Record<string, unknown> {
  let bytes = Buffer.from(encoded, 'base64');
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) bytes = gunzipSync(bytes);
  const release: unknown = JSON.parse(bytes.toString('utf8'));
  if (!isRecord(release) || typeof release.manifest !== 'string') {
    throw new HomelabError('the helm release record has no manifest', 'nothing was uninstalled; check the release with helm history');
  }
  return release;
}

export function encodeRelease(release: Record<string, unknown>): string {
  return gzipSync(Buffer.from(JSON.stringify(release), 'utf8'), { level: 9 }).toString('base64');
}

/** The storage object (Secret or ConfigMap, by HELM_DRIVER) holding one revision of a release. */
export interface RecordLocation {
  kind: 'secret' | 'configmap';
  name: string;
  namespace: string;
}

export function recordLocation(releaseName: string, revision: number | string, namespace: string, driver = process.env.HELM_DRIVER ?? ''): RecordLocation {
  const name = `sh.helm.release.v1.${releaseName}.v${revision}`;
  if (['', 'secret', 'secrets'].includes(driver)) return { kind: 'secret', name, namespace };
  if (['configmap', 'configmaps'].includes(driver)) return { kind: 'configmap', name, namespace };
  throw new HomelabError(
    `HELM_DRIVER=${driver}: cannot mark objects as kept in this storage driver`,
    'unset HELM_DRIVER (secrets) or use configmap, or pass --delete-data if losing the data is intended',
  );
}

/**
 * The storage object rewritten with keep annotations in its manifest, ready for `kubectl replace -f -`
 * (its resourceVersion makes the replace fail rather than overwrite a concurrent helm change).
 * Holds the release's values: it only ever travels on a pipe.
 */
export function keepInRecord(storageJson: string, location: RecordLocation, holders: StateHolder[], releaseNamespace: string): Buffer {
  const object: unknown = JSON.parse(storageJson);
  if (!isRecord(object) || !isRecord(object.data) || typeof object.data.release !== 'string') {
    throw new HomelabError(`${location.kind} ${location.name} is not a helm release record`, 'nothing was uninstalled; check HELM_DRIVER');
  }
  const stored = location.kind === 'secret' ? Buffer.from(object.data.release, 'base64').toString('utf8') : object.data.release;
  const release = decodeRelease(stored);
  release.manifest = keepInManifest(release.manifest as string, holders, releaseNamespace);
  const encoded = encodeRelease(release);
  object.data.release = location.kind === 'secret' ? Buffer.from(encoded, 'utf8').toString('base64') : encoded;
  return Buffer.from(JSON.stringify(object));
}
