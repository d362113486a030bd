/**
 * The version registry of an environment (docs/environments.md): every pin lives in one place that ArgoCD reads
 * as is. Per app: its `clusters/<env>/versions/` value file (image tags), the chart version of an upstream source
 * (`targetRevision`) and the images of a Kustomize source, the last two in the Application file. Edits change the
 * pinned scalars and nothing else, so a promotion's commit is exactly the version change.
 */
import { isScalar, parseDocument, type Scalar } from 'yaml';
import { HomelabError } from '../model/errors.ts';
import type { Release } from '../model/types.ts';
import { isRecord } from '../workspace/yaml-docs.ts';

/** One file the promotion rewrites, and what it says about it. */
export interface PinEdit {
  file: string;
  text: string;
  /** `key: old → new`, one line per pin that changes. */
  changes: string[];
}

type ReadFile = (file: string) => Promise<string>;

/** The registry value file a release lists (`clusters/<env>/versions/…`), if any. */
export function versionsFile(release: Release, clustersDir: string): string | undefined {
  const prefix = `${clustersDir}/versions/`;
  return release.valueFiles.find((v) => !v.secret && !v.inChart && v.path.startsWith(prefix))?.path;
}

/**
 * The edits that give `to` (the target environment's releases of one app) the pins of `from` (the source's).
 * Files are read through `read`: the promotion works on a commit, not on the working tree.
 */
export async function promotionEdits(from: Release[], to: Release[], dirs: { from: string; to: string }, read: ReadFile): Promise<PinEdit[]> {
  const edits: PinEdit[] = [];
  for (const target of to) {
    const source = from.find((r) => r.name === target.name) ?? (from.length === 1 ? from[0] : undefined);
    if (!source) continue;
    const registry = await registryEdit(source, target, dirs, read);
    if (registry) edits.push(registry);
    const manifest = await manifestEdit(source, target, read);
    if (manifest) edits.push(manifest);
  }
  return edits;
}

/** The target's registry file gets the source's pins; its own leading comment stays. */
async function registryEdit(source: Release, target: Release, dirs: { from: string; to: string }, read: ReadFile): Promise<PinEdit | undefined> {
  const sourceFile = versionsFile(source, dirs.from);
  if (!sourceFile) return undefined;
  const targetFile = versionsFile(target, dirs.to);
  if (!targetFile) {
    throw new HomelabError(
      `${target.definedIn[0]}: ${target.cluster}/${target.name} lists no ${dirs.to}/versions/ value file, so it has nowhere to take ${sourceFile}'s pins`,
      `add ${dirs.to}/versions/${target.chart}.yaml to its helm.valueFiles (after global.yaml, before secrets://)`,
    );
  }
  const [sourceText, targetText] = [await read(sourceFile), await read(targetFile)];
  const text = `${leadingComment(targetText)}${withoutLeadingComment(sourceText)}`;
  if (text === targetText) return undefined;
  const before = leaves(parseDocument(targetText, { version: '1.1' }).toJS());
  const after = leaves(parseDocument(sourceText, { version: '1.1' }).toJS());
  const changes = [...new Set([...before.keys(), ...after.keys()])]
    .filter((key) => before.get(key) !== after.get(key))
    .map((key) => `${key}: ${before.get(key) ?? '(none)'} → ${after.get(key) ?? '(none)'}`);
  return { file: targetFile, text, changes };
}

const COMMENT_BLOCK = /^(?:[ \t]*(?:#.*)?\n)*/;
const leadingComment = (text: string) => COMMENT_BLOCK.exec(text)![0];
const withoutLeadingComment = (text: string) => text.slice(leadingComment(text).length);

/** Dotted paths of a value tree's scalars. */
function leaves(value: unknown, prefix = '', out = new Map<string, string>()): Map<string, string> {
  if (isRecord(value)) for (const [k, v] of Object.entries(value)) leaves(v, prefix ? `${prefix}.${k}` : k, out);
  else if (Array.isArray(value)) value.forEach((v, i) => leaves(v, `${prefix}[${i}]`, out));
  else out.set(prefix, String(value));
  return out;
}

/** The chart version of an upstream source and the images of a Kustomize source, set in the target's Application. */
async function manifestEdit(source: Release, target: Release, read: ReadFile): Promise<PinEdit | undefined> {
  const wanted: { path: (string | number)[]; value: string }[] = [];
  const file = target.definedIn[0];
  if (source.source?.kind === 'upstream' && target.source?.kind === 'upstream' && source.source.targetRevision !== target.source.targetRevision) {
    wanted.push({ path: ['targetRevision'], value: source.source.targetRevision });
  }
  const images = (r: Release) => (r.source?.kind === 'kustomize' && Array.isArray(r.source.options.images) ? r.source.options.images.map(String) : []);
  const [sourceImages, targetImages] = [images(source), images(target)];
  if (sourceImages.join('\n') !== targetImages.join('\n')) {
    if (sourceImages.length !== targetImages.length) {
      throw new HomelabError(
        `${file}: ${target.name} pins ${targetImages.length} Kustomize image(s), ${source.definedIn[0]} ${sourceImages.length}`,
        'make the kustomize.images lists name the same images, then promote again',
      );
    }
    sourceImages.forEach((image, i) => wanted.push({ path: ['kustomize', 'images', i], value: image }));
  }
  if (wanted.length === 0) return undefined;
  if (target.origin !== 'application') {
    throw new HomelabError(
      `${file}: ${target.name}'s pins come from a template shared by every app it generates`,
      `change them in ${file} by hand (every generated app moves together)`,
    );
  }
  let text = await read(file);
  const changes: string[] = [];
  for (const pin of wanted) {
    const doc = parseDocument(text, { version: '1.1' });
    const base = sourcePath(doc.toJS(), target);
    if (!base) throw new HomelabError(`${file}: no source of ${target.name} found`, 'promote this app by hand');
    const node = doc.getIn([...base, ...pin.path], true);
    if (!isScalar(node) || !node.range) throw new HomelabError(`${file}: ${[...base, ...pin.path].join('.')} is not a plain value`, 'promote it by hand');
    changes.push(`${[...base, ...pin.path].join('.')}: ${String(node.value)} → ${pin.value}`);
    text = `${text.slice(0, node.range[0])}${scalarText(node, pin.value)}${text.slice(node.range[1])}`;
  }
  return { file, text, changes };
}

/** Where the release's source sits in its Application: `spec.source`, or the matching entry of `spec.sources`. */
function sourcePath(app: unknown, release: Release): (string | number)[] | undefined {
  const spec = isRecord(app) && isRecord(app.spec) ? app.spec : {};
  const matches = (s: unknown) =>
    isRecord(s) &&
    (release.source?.kind === 'upstream'
      ? s.chart === release.source.chart && s.repoURL === release.source.repoURL
      : release.source?.kind === 'kustomize' && s.path === release.source.path);
  if (matches(spec.source)) return ['spec', 'source'];
  const index = Array.isArray(spec.sources) ? spec.sources.findIndex(matches) : -1;
  return index >= 0 ? ['spec', 'sources', index] : undefined;
}

/** The new value written the way the old one was: quoted stays quoted. */
function scalarText(node: Scalar, value: string): string {
  if (node.type === 'QUOTE_DOUBLE') return JSON.stringify(value);
  if (node.type === 'QUOTE_SINGLE') return `'${value.replaceAll("'", "''")}'`;
  const plain = parseDocument(value, { version: '1.1' }).contents;
  return isScalar(plain) && plain.value === value ? value : JSON.stringify(value);
}
