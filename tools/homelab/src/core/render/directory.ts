import { lstatSync, readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import { stringify } from 'yaml';
import { HomelabError } from '../model/errors.ts';
import type { ReleaseSource } from '../model/types.ts';
import { splitManifests } from '../validate/documents.ts';
import { matchGlob } from '../workspace/glob.ts';
import { isRecord } from '../workspace/yaml-docs.ts';

export type DirectorySource = Extract<ReleaseSource, { kind: 'directory' }>;

/** One object ArgoCD applies, with the workspace-relative file it came from. */
export interface DirectoryObject {
  file: string;
  object: Record<string, unknown>;
}

/** The files ArgoCD's repo-server considers for a directory source (by name, before include/exclude). */
const MANIFEST_FILE = /^.*\.(yaml|yml|json|jsonnet)$/;
/** A file holding this text is skipped by the repo-server. */
const SKIP_MARKER = '+argocd:skip-file-rendering';

/**
 * The objects of a directory source, in the order ArgoCD's repo-server produces them: a depth-first walk in name
 * order (subdirectories only with `recurse`), `.yaml`/`.yml`/`.json` files whose path relative to the source
 * directory passes `exclude` then `include` (ArgoCD's globs: `*` crosses `/`, `{a,b}` alternates), files holding
 * `+argocd:skip-file-rendering` left out, every YAML document and each item of a List (an object with an `items`
 * list) as its own object. A YAML file whose first document is no Kubernetes object and that does not look like a
 * manifest (values.yaml, kustomization.yaml) is ignored, as the repo-server ignores it; a broken one that does is
 * refused. Directories named `.…` and node_modules are not walked (they are not in a repository ArgoCD checks out).
 */
export function readDirectorySource(root: string, source: DirectorySource): DirectoryObject[] {
  const appDir = path.resolve(root, source.path);
  const where = `directory ${source.path || '.'}`;
  if (!statSync(appDir, { throwIfNoEntry: false })?.isDirectory()) {
    throw new HomelabError(`${where} does not exist`, 'fix source.path of the Application (relative to the repository root)');
  }
  const realRoot = realpathSync(root);
  const objects: DirectoryObject[] = [];
  const visit = (dir: string): void => {
    const names = readdirSync(dir).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    for (const name of names) {
      const full = path.join(dir, name);
      const rel = path.relative(appDir, full).split(path.sep).join('/');
      const file = path.relative(root, full).split(path.sep).join('/');
      const stats = lstatSync(full);
      if (stats.isDirectory()) {
        if (source.recurse && !name.startsWith('.') && name !== 'node_modules') visit(full);
        continue;
      }
      if (!MANIFEST_FILE.test(name) || !isRegularFile(full, stats.isSymbolicLink(), realRoot, file)) continue;
      if (source.exclude && matchGlob(source.exclude, rel, 'argocd')) continue;
      if (source.include && !matchGlob(source.include, rel, 'argocd')) continue;
      const text = readFileSync(full, 'utf8');
      if (text.includes(SKIP_MARKER)) continue;
      if (name.endsWith('.jsonnet')) {
        throw new HomelabError(`${file}: jsonnet is not supported in ${where}`, 'render it to YAML and commit that, or exclude it with directory.exclude');
      }
      const found = name.endsWith('.json') ? [jsonObject(text, file)] : yamlObjects(text, file);
      for (const object of found) objects.push(...listItems(object, file).map((item) => ({ file, object: item })));
    }
  };
  visit(appDir);
  return objects;
}

/** A symlink counts as the file it points at; one leading outside the repository is refused, as ArgoCD refuses it. */
function isRegularFile(full: string, symlink: boolean, realRoot: string, file: string): boolean {
  if (!symlink) return statSync(full).isFile();
  let target: string;
  try {
    target = realpathSync(full);
  } catch {
    return false; // a dangling link: skipped with a warning by the repo-server
  }
  if (target !== realRoot && !target.startsWith(`${realRoot}${path.sep}`)) {
    throw new HomelabError(`${file} is a symlink to ${target}, outside the repository`, 'ArgoCD refuses it: copy the file into the repository');
  }
  return statSync(target).isFile();
}

/** A `.json` file holds exactly one object. */
function jsonObject(text: string, file: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    const several = /^\s*[{[]/.test(text) && /}\s*{/.test(text);
    throw new HomelabError(
      several ? `${file}: found multiple objects; only single objects are allowed in JSON files` : `${file}: invalid JSON: ${(err as Error).message}`,
      several ? 'split them into one file each, or write a List or YAML' : 'fix the JSON, or exclude the file with directory.exclude',
    );
  }
  const problem = objectProblem(value);
  if (problem) throw new HomelabError(`${file}: ${problem}`, 'ArgoCD cannot apply it: exclude the file with directory.exclude');
  return value as Record<string, unknown>;
}

/** The repo-server reads a file's YAML documents until one is not an object; see readDirectorySource. */
function yamlObjects(text: string, file: string): Record<string, unknown>[] {
  const objects: Record<string, unknown>[] = [];
  for (const doc of splitManifests(text)) {
    const problem = doc.error ? `YAML syntax error: ${doc.error}` : objectProblem(doc.value);
    if (!problem) {
      objects.push(doc.value as Record<string, unknown>);
      continue;
    }
    if (objects.length === 0 && !(text.includes('apiVersion:') && text.includes('kind:') && text.includes('metadata:'))) return [];
    throw new HomelabError(`${file}: document ${doc.index}: ${problem}`, 'fix it, or exclude the file with directory.exclude');
  }
  return objects;
}

/** Why a decoded value is no Kubernetes object (the decoder needs a kind and a parseable apiVersion). */
function objectProblem(value: unknown): string | undefined {
  if (!isRecord(value)) return 'not a mapping';
  if (typeof value.kind !== 'string' || value.kind === '') return "Object 'Kind' is missing";
  if (typeof value.apiVersion === 'string' && value.apiVersion.split('/').length > 2) return `apiVersion "${value.apiVersion}" is not group/version`;
  return undefined;
}

/** A List (any object whose `items` is a list) is applied item by item; `items: null` applies nothing. */
function listItems(object: Record<string, unknown>, file: string): Record<string, unknown>[] {
  if (Array.isArray(object.items)) {
    return object.items.map((item) => {
      if (!isRecord(item)) throw new HomelabError(`${file}: ${String(object.kind)} has an item that is not an object`, 'make every item a mapping');
      return item;
    });
  }
  const nullList = 'items' in object && object.items === null && !('spec' in object) && !('status' in object);
  return nullList ? [] : [object];
}

/**
 * What `template` prints for a directory release: each object as ArgoCD hands it to kubectl (its JSON, whose keys
 * Go sorts), written as YAML with sorted keys, after `---` and a `# Source:` line naming its file. Deterministic:
 * the same files give the same bytes, however they were formatted.
 */
export function canonicalStream(objects: DirectoryObject[]): string {
  return objects
    .map(({ file, object }) => `---\n# Source: ${file}\n${stringify(object, { version: '1.1', sortMapEntries: true, indentSeq: false, lineWidth: 0 })}`)
    .join('');
}

export function renderDirectory(root: string, source: DirectorySource): string {
  return canonicalStream(readDirectorySource(root, source));
}
