import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { HomelabError } from '../model/errors.ts';
import { matchGlob } from '../workspace/glob.ts';
import { isRecord } from '../workspace/yaml-docs.ts';

/**
 * The Application's `source.kustomize` fields ArgoCD turns into edits of the kustomization before it builds, in the
 * order it runs them (`kustomize edit set nameprefix`, `… namesuffix`, `… image`, `… replicas`, `edit add label`,
 * `… annotation`, `edit set namespace`, patches appended, `edit add component`), plus the flags of those edits and
 * the fields it passes to the build itself (kubeVersion, apiVersions).
 */
const KNOWN = new Set([
  'namePrefix',
  'nameSuffix',
  'images',
  'replicas',
  'commonLabels',
  'forceCommonLabels',
  'labelWithoutSelector',
  'labelIncludeTemplates',
  'commonAnnotations',
  'forceCommonAnnotations',
  'commonAnnotationsEnvsubst',
  'namespace',
  'patches',
  'components',
  'ignoreMissingComponents',
  'kubeVersion',
  'apiVersions',
]);

/** What `${ARGOCD_APP_…}` expands to (ArgoCD's build environment); the revision is unknown before a commit is synced. */
export type BuildEnv = Record<string, string>;

/** Whether the options change the kustomization (then the build runs on an edited copy; unknown keys are refused there). */
export function hasEdits(options: Record<string, unknown>): boolean {
  return Object.keys(options).some((key) => key !== 'kubeVersion' && key !== 'apiVersions' && !isEmpty(options[key]));
}

/**
 * The kustomization as ArgoCD's `kustomize edit` calls leave it, computed in memory (the same fields, merged the way
 * those commands merge them). `dir` is the kustomization's absolute directory (components are resolved there).
 */
export function editKustomization(
  doc: Record<string, unknown>,
  options: Record<string, unknown>,
  env: BuildEnv,
  dir: string,
  where: string,
): Record<string, unknown> {
  const fail = (why: string, hint: string): never => {
    throw new HomelabError(`${where}: source.kustomize ${why}`, hint);
  };
  const unknown = Object.keys(options).filter((key) => !KNOWN.has(key));
  if (unknown.length > 0) fail(`has ${unknown.join(', ')}, which ArgoCD does not know or homelab does not model`, `remove ${unknown.join(', ')}`);
  if (!isEmpty(options.version)) fail('version (a kustomize binary per Application) is not supported', 'remove version: homelab uses the kustomize in kubectl');
  const out: Record<string, unknown> = structuredClone(doc);
  const text = (key: string): string => {
    const value = options[key];
    if (value === undefined || value === null) return '';
    return typeof value === 'string' ? value : fail(`${key} must be a string`, 'quote the value');
  };
  const flag = (key: string): boolean => options[key] === true;
  const expand = (value: string): string => envsubst(value, env, fail);

  if (text('namePrefix')) out.namePrefix = text('namePrefix');
  if (text('nameSuffix')) out.nameSuffix = text('nameSuffix');
  const images = list(options.images, 'images', fail);
  if (images.length > 0)
    out.images = setImages(
      list(out.images, 'images', fail),
      images.map((i) => expand(String(i))),
      fail,
    );
  const replicas = list(options.replicas, 'replicas', fail);
  if (replicas.length > 0) out.replicas = setReplicas(list(out.replicas, 'replicas', fail), replicas, fail);
  const labels = stringMap(options.commonLabels, 'commonLabels', fail);
  if (Object.keys(labels).length > 0) {
    const expanded = Object.fromEntries(Object.entries(labels).map(([k, v]) => [k, expand(v)]));
    addLabels(out, expanded, flag('forceCommonLabels'), flag('labelWithoutSelector'), flag('labelIncludeTemplates'), fail);
  }
  const annotations = stringMap(options.commonAnnotations, 'commonAnnotations', fail);
  if (Object.keys(annotations).length > 0) {
    const values = flag('commonAnnotationsEnvsubst') ? Object.fromEntries(Object.entries(annotations).map(([k, v]) => [k, expand(v)])) : annotations;
    out.commonAnnotations = addEntries(stringMap(out.commonAnnotations, 'commonAnnotations', fail), values, flag('forceCommonAnnotations'), 'annotation', fail);
  }
  if (text('namespace')) out.namespace = text('namespace');
  const patches = list(options.patches, 'patches', fail);
  if (patches.length > 0) out.patches = [...list(out.patches, 'patches', fail), ...patches];
  const components = list(options.components, 'components', fail).map(String);
  if (components.length > 0) {
    const found = flag('ignoreMissingComponents') ? components.filter((c) => existsSync(path.resolve(dir, c))) : components;
    const existing = list(out.components, 'components', fail).map(String);
    for (const component of found.flatMap((c) => expandComponent(dir, c, fail))) if (!existing.includes(component)) existing.push(component);
    if (existing.length > 0) out.components = existing;
  }
  return out;
}

function isEmpty(value: unknown): boolean {
  return (
    value === undefined ||
    value === null ||
    value === '' ||
    value === false ||
    (Array.isArray(value) && value.length === 0) ||
    (isRecord(value) && Object.keys(value).length === 0)
  );
}

export type Fail = (why: string, hint: string) => never;

function list(value: unknown, key: string, fail: Fail): unknown[] {
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? value : fail(`${key} must be a list`, `write ${key} as a YAML list`);
}

function stringMap(value: unknown, key: string, fail: Fail): Record<string, string> {
  if (value === undefined || value === null) return {};
  if (!isRecord(value)) return fail(`${key} must be a mapping`, `write ${key}: { key: value }`);
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, v === null ? '' : String(v)]));
}

/** Go's os.Expand over ArgoCD's build environment: `$X`/`${X}`, `$$` is a dollar, unknown names expand to ''. */
export function envsubst(value: string, env: BuildEnv, fail: Fail): string {
  return value.replace(/\$(?:\{([^}]*)\}|([A-Za-z0-9_]+)|(\$))/g, (_, braced: string | undefined, bare: string | undefined, dollar: string | undefined) => {
    if (dollar) return '$';
    const name = braced ?? bare ?? '';
    if (name.startsWith('ARGOCD_APP_REVISION'))
      fail(`uses \${${name}}, the commit ArgoCD syncs, which is unknown before it syncs`, 'write the image tag or label value literally');
    return env[name] ?? '';
  });
}

interface Image {
  name: string;
  newName?: string;
  newTag?: string;
  digest?: string;
}

/** `kustomize edit set image`: each argument replaces the entry of the same name (`*` keeps a field), sorted by name. */
function setImages(current: unknown[], args: string[], fail: Fail): Image[] {
  const byName = new Map<string, Image>();
  for (const arg of args) {
    const image = parseImageArg(arg, fail);
    byName.set(image.name, image);
  }
  for (const raw of current) {
    if (!isRecord(raw) || typeof raw.name !== 'string') continue;
    const existing = raw as unknown as Image;
    const given = byName.get(existing.name);
    if (!given) {
      byName.set(existing.name, existing);
      continue;
    }
    byName.set(existing.name, {
      ...given,
      ...(given.newName === '*' ? { newName: existing.newName } : {}),
      ...(given.newTag === '*' ? { newTag: existing.newTag } : {}),
      ...(given.digest === '*' ? { digest: existing.digest } : {}),
    });
  }
  const images = [...byName.values()].map((image) => {
    const clean: Image = { name: image.name };
    for (const key of ['newName', 'newTag', 'digest'] as const) if (image[key] && image[key] !== '*') clean[key] = image[key];
    return clean;
  });
  return images.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** `<image>[=<newimage>][:<tag>][@<digest>]`, split as kustomize splits image names (a registry port is no tag). */
function parseImageArg(arg: string, fail: Fail): Image {
  const eq = arg.indexOf('=');
  const key = eq < 0 ? '' : arg.slice(0, eq);
  const { name, tag, digest } = splitImageName(eq < 0 ? arg : arg.slice(eq + 1));
  if (name === arg) fail(`images entry "${arg}" sets nothing`, 'write <image>=<newimage>:<tag>, <image>:<tag> or <image>@<digest>');
  const image: Image = key ? { name: key, newName: name } : { name };
  if (tag) image.newTag = tag;
  if (digest) image.digest = digest;
  return image;
}

function splitImageName(image: string): { name: string; tag: string; digest: string } {
  const slash = image.indexOf('/');
  const offset = Math.max(slash, 0);
  const search = image.slice(offset);
  const at = search.indexOf('@');
  const colon = search.indexOf(':');
  if (colon < 0 && at < 0) return { name: image, tag: '', digest: '' };
  if (at >= 0 && (at < colon || colon < 0)) return { name: image.slice(0, offset + at), tag: '', digest: image.slice(offset + at + 1) };
  if (at >= 0) return { name: image.slice(0, offset + colon), tag: image.slice(offset + colon + 1, offset + at), digest: image.slice(offset + at + 1) };
  return { name: image.slice(0, offset + colon), tag: image.slice(offset + colon + 1), digest: '' };
}

/** `kustomize edit set replicas name=count`: an argument replaces the entry of the same name; sorted by name. */
function setReplicas(current: unknown[], args: unknown[], fail: Fail): { name: string; count: number }[] {
  const byName = new Map<string, { name: string; count: number }>();
  for (const arg of args) {
    const count = isRecord(arg) ? Number(arg.count) : Number.NaN;
    if (!isRecord(arg) || typeof arg.name !== 'string' || !Number.isInteger(count)) {
      fail('replicas entries need a name and a whole count', 'e.g. - { name: web, count: 2 }');
    }
    byName.set(String((arg as Record<string, unknown>).name), { name: String((arg as Record<string, unknown>).name), count });
  }
  for (const raw of current) {
    if (isRecord(raw) && typeof raw.name === 'string' && !byName.has(raw.name)) byName.set(raw.name, raw as { name: string; count: number });
  }
  return [...byName.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** `kustomize edit add annotation|label k:v`: a key already there is refused unless forced. */
function addEntries(current: Record<string, string>, values: Record<string, string>, force: boolean, kind: string, fail: Fail): Record<string, string> {
  const out = { ...current };
  for (const [key, value] of Object.entries(values)) {
    if (key in out && !force)
      fail(
        `common ${kind} ${key} is already in the kustomization`,
        `set force${kind === 'label' ? 'CommonLabels' : 'CommonAnnotations'}: true, or drop it from one of them`,
      );
    out[key] = value;
  }
  return out;
}

/**
 * `kustomize edit add label`: into `commonLabels`, or with `--without-selector` into the `labels` entry that has
 * the same settings (includeSelectors false, includeTemplates as given), a new entry when there is none.
 */
function addLabels(
  out: Record<string, unknown>,
  values: Record<string, string>,
  force: boolean,
  withoutSelector: boolean,
  includeTemplates: boolean,
  fail: Fail,
): void {
  if (!withoutSelector) {
    out.commonLabels = addEntries(stringMap(out.commonLabels, 'commonLabels', fail), values, force, 'label', fail);
    return;
  }
  const entries = list(out.labels, 'labels', fail).map((e) => (isRecord(e) ? { ...e } : e));
  const matching = entries.find((e) => isRecord(e) && (e.includeSelectors ?? false) === false && (e.includeTemplates ?? false) === includeTemplates) as
    | Record<string, unknown>
    | undefined;
  if (matching) {
    matching.pairs = addEntries(stringMap(matching.pairs, 'labels.pairs', fail), values, force, 'label', fail);
  } else {
    entries.push({ pairs: { ...values }, ...(includeTemplates ? { includeTemplates: true } : {}) });
  }
  out.labels = entries;
}

/** A component path as `kustomize edit add component` takes it: a glob relative to the kustomization, or refused. */
function expandComponent(dir: string, component: string, fail: Fail): string[] {
  if (!/[*?[]/.test(component)) {
    return existsSync(path.resolve(dir, component))
      ? [component]
      : fail(`component ${component} does not exist`, 'fix the path (relative to the kustomization), or set ignoreMissingComponents: true');
  }
  const parent = path.dirname(component);
  const names = existsSync(path.resolve(dir, parent)) ? readdirSync(path.resolve(dir, parent)).sort() : [];
  const matches = names.map((n) => path.posix.join(parent, n)).filter((p) => matchGlob(component, p, 'go'));
  return matches.length > 0 ? matches : fail(`component ${component} has no match`, 'fix the pattern (relative to the kustomization)');
}
