import { posix } from 'node:path';
import type { RepoFiles } from '../../workspace/repo-files.ts';
import { isRecord, parseYamlDocument } from '../../workspace/yaml-docs.ts';
import { formatValue, sanitizeName, TemplateError } from './gotemplate.ts';
import { deepMerge, renderObject, renderString, type Params, type TemplateSyntax } from './template.ts';

/**
 * ApplicationSet generators evaluated against the workspace working tree. Every git generator is
 * taken to read this repository, whatever its repoURL/revision say (the workspace *is* the repo
 * ArgoCD reads). Supported: git directories, git files, list, matrix, merge. Others throw.
 */
export const GENERATOR_TYPES = ['git', 'list', 'matrix', 'merge'] as const;

export function generatorType(generator: Record<string, unknown>): (typeof GENERATOR_TYPES)[number] {
  const keys = Object.keys(generator).filter((k) => k !== 'selector');
  if (generator.selector !== undefined) throw new TemplateError('generator selector is not supported');
  const type = keys[0];
  if (keys.length !== 1 || !(GENERATOR_TYPES as readonly string[]).includes(type)) {
    throw new TemplateError(`generator ${keys.join('+') || '{}'} is not supported (supported: ${GENERATOR_TYPES.join(', ')})`);
  }
  return type as (typeof GENERATOR_TYPES)[number];
}

export async function generateParams(generator: Record<string, unknown>, syntax: TemplateSyntax, files: RepoFiles): Promise<Params[]> {
  const type = generatorType(generator);
  const spec = generator[type];
  if (!isRecord(spec)) throw new TemplateError(`${type} generator must be a mapping`);
  switch (type) {
    case 'git':
      return gitParams(spec, syntax, files);
    case 'list':
      return listParams(spec, syntax);
    case 'matrix':
      return matrixParams(spec, syntax, files);
    case 'merge':
      return mergeParams(spec, syntax, files);
  }
}

async function gitParams(spec: Record<string, unknown>, syntax: TemplateSyntax, files: RepoFiles): Promise<Params[]> {
  const prefix = typeof spec.pathParamPrefix === 'string' ? spec.pathParamPrefix : '';
  const values = isRecord(spec.values) ? spec.values : {};
  let params: Params[];
  if (Array.isArray(spec.directories) && spec.directories.length > 0) {
    const dirs = await selectPaths(spec.directories, 'directories', (p) => files.glob(p, 'go', 'dir'));
    params = dirs.map((dir) => pathParams(dir, undefined, prefix, syntax));
  } else if (Array.isArray(spec.files) && spec.files.length > 0) {
    const matched = await selectPaths(spec.files, 'files', (p) => files.glob(p, 'pathspec', 'file'));
    params = [];
    for (const file of matched) {
      for (const object of await fileObjects(file, files)) {
        const own = syntax.goTemplate ? { ...object } : flatten(object);
        params.push({ ...own, ...pathParams(posix.dirname(file), posix.basename(file), prefix, syntax) });
      }
    }
  } else {
    throw new TemplateError('git generator needs directories or files');
  }
  return params.map((p) => withValues(p, values, syntax));
}

/** Include patterns minus exclude patterns (`exclude: true`), sorted. */
async function selectPaths(items: unknown[], key: string, glob: (pattern: string) => Promise<string[]>): Promise<string[]> {
  const { included, excluded } = await matchPaths(items, key, glob);
  return [...included].filter((p) => !excluded.has(p)).sort();
}

/** What the include and the exclude patterns of a git generator match, each a set (ArgoCD's filterApps, path.Match). */
async function matchPaths(
  items: unknown[],
  key: string,
  glob: (pattern: string) => Promise<string[]>,
): Promise<{ included: Set<string>; excluded: Set<string> }> {
  const included = new Set<string>();
  const excluded = new Set<string>();
  for (const item of items) {
    if (!isRecord(item) || typeof item.path !== 'string') throw new TemplateError(`git ${key} entries need a path`);
    for (const path of await glob(item.path.replace(/^\.?\//, ''))) (item.exclude === true ? excluded : included).add(path);
  }
  return { included, excluded };
}

/**
 * Directories a git directory generator (also inside matrix and merge) matches and then excludes: the ones the
 * ApplicationSet was told not to deploy, such as `apps/*.disabled`. Templated paths are skipped (they name no
 * directory before parameters exist).
 */
export async function excludedDirectories(generator: Record<string, unknown>, files: RepoFiles): Promise<string[]> {
  const type = generatorType(generator);
  const spec = generator[type];
  if (!isRecord(spec)) return [];
  if (type === 'matrix' || type === 'merge') {
    const nested = await Promise.all(children(spec, type).map((child) => excludedDirectories(child, files)));
    return [...new Set(nested.flat())].sort();
  }
  if (type !== 'git' || !Array.isArray(spec.directories)) return [];
  const literal = spec.directories.filter((item) => !(isRecord(item) && typeof item.path === 'string' && item.path.includes('{{')));
  const { included, excluded } = await matchPaths(literal, 'directories', (p) => files.glob(p, 'go', 'dir'));
  return [...excluded].filter((p) => included.has(p)).sort();
}

function pathParams(dir: string, filename: string | undefined, prefix: string, syntax: TemplateSyntax): Params {
  const basename = posix.basename(dir);
  const segments = dir.split('/');
  if (syntax.goTemplate) {
    const path: Params = { path: dir, basename, basenameNormalized: sanitizeName(basename), segments };
    if (filename !== undefined) Object.assign(path, { filename, filenameNormalized: sanitizeName(filename) });
    return prefix ? { [prefix]: { path } } : { path };
  }
  const name = prefix ? `${prefix}.path` : 'path';
  const params: Params = { [name]: dir, [`${name}.basename`]: basename, [`${name}.basenameNormalized`]: sanitizeName(basename) };
  if (filename !== undefined) Object.assign(params, { [`${name}.filename`]: filename, [`${name}.filenameNormalized`]: sanitizeName(filename) });
  segments.forEach((segment, i) => {
    if (segment !== '') params[`${name}[${i}]`] = segment;
  });
  return params;
}

/** A git-files generator file holds one object or a list of objects. */
async function fileObjects(file: string, files: RepoFiles): Promise<Record<string, unknown>[]> {
  const doc = parseYamlDocument((await files.text(file)) ?? '', file);
  const objects = Array.isArray(doc) ? doc : [doc];
  if (!objects.every(isRecord)) throw new TemplateError(`${file} must hold a mapping or a list of mappings`);
  return objects;
}

/** Flat `a.b.0` keys with Go %v values, as ArgoCD's flatten for fasttemplate. */
function flatten(value: unknown, prefix = '', out: Params = {}): Params {
  if (isRecord(value) || Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) flatten(v, prefix ? `${prefix}.${k}` : k, out);
  } else if (prefix) {
    out[prefix] = formatValue(value);
  }
  return out;
}

/** Generator `values`: templated with the generator's own parameters, exposed as `values.<key>`. */
function withValues(params: Params, values: Record<string, unknown>, syntax: TemplateSyntax): Params {
  const entries = Object.entries(values);
  if (entries.length === 0) return params;
  const rendered = Object.fromEntries(entries.map(([k, v]) => [k, renderString(String(v), params, syntax)]));
  if (syntax.goTemplate) return { ...params, values: rendered };
  return { ...params, ...Object.fromEntries(Object.entries(rendered).map(([k, v]) => [`values.${k}`, v])) };
}

function listParams(spec: Record<string, unknown>, syntax: TemplateSyntax): Params[] {
  const elements = Array.isArray(spec.elements) ? [...spec.elements] : [];
  const params: Params[] = elements.map((element) => {
    if (!isRecord(element)) throw new TemplateError('list generator elements must be mappings');
    if (syntax.goTemplate) return element;
    const flat: Params = {};
    for (const [key, value] of Object.entries(element)) {
      if (key === 'values' && isRecord(value)) {
        for (const [k, v] of Object.entries(value)) flat[`values.${k}`] = asString(v, `values.${k}`);
      } else {
        flat[key] = asString(value, key);
      }
    }
    return flat;
  });
  if (typeof spec.elementsYaml === 'string') {
    const extra = parseYamlDocument(spec.elementsYaml, 'elementsYaml');
    if (!Array.isArray(extra) || !extra.every(isRecord)) throw new TemplateError('elementsYaml must be a list of mappings');
    params.push(...extra);
  }
  return params;
}

function asString(value: unknown, key: string): string {
  if (typeof value !== 'string') throw new TemplateError(`list element ${key} must be a string without goTemplate (quote it)`);
  return value;
}

function children(spec: Record<string, unknown>, type: string): Record<string, unknown>[] {
  const list = spec.generators;
  if (!Array.isArray(list) || !list.every(isRecord)) throw new TemplateError(`${type} generator needs a list of generators`);
  return list;
}

/** Every pair of the two child generators; the second is templated with the first's parameters. */
async function matrixParams(spec: Record<string, unknown>, syntax: TemplateSyntax, files: RepoFiles): Promise<Params[]> {
  const gens = children(spec, 'matrix');
  if (gens.length !== 2) throw new TemplateError(`matrix generator needs exactly 2 generators, found ${gens.length}`);
  const out: Params[] = [];
  for (const first of await generateParams(gens[0], syntax, files)) {
    const second = renderObject(gens[1], first, syntax) as Record<string, unknown>;
    for (const next of await generateParams(second, syntax, files)) out.push(combine(first, next, syntax));
  }
  return out;
}

/** The first generator's parameter sets, overridden by later sets with equal mergeKeys. */
async function mergeParams(spec: Record<string, unknown>, syntax: TemplateSyntax, files: RepoFiles): Promise<Params[]> {
  const keys = spec.mergeKeys;
  if (!Array.isArray(keys) || keys.length === 0 || !keys.every((k) => typeof k === 'string')) {
    throw new TemplateError('merge generator needs mergeKeys');
  }
  const [base, ...others] = children(spec, 'merge');
  if (!base) throw new TemplateError('merge generator needs generators');
  const keyOf = (p: Params): string | undefined => {
    const parts = keys.map((k) => (k in p ? p[k] : k.split('.').reduce<unknown>((v, s) => (isRecord(v) ? v[s] : undefined), p)));
    return parts.some((v) => v === undefined) ? undefined : JSON.stringify(parts);
  };
  let result = await generateParams(base, syntax, files);
  for (const other of others) {
    const byKey = new Map<string, Params>();
    for (const p of await generateParams(other, syntax, files)) {
      const key = keyOf(p);
      if (key !== undefined && !byKey.has(key)) byKey.set(key, p);
    }
    result = result.map((p) => {
      const key = keyOf(p);
      const match = key === undefined ? undefined : byKey.get(key);
      return match ? (syntax.goTemplate ? (deepMerge(p, match) as Params) : { ...p, ...match }) : p;
    });
  }
  return result;
}

function combine(a: Params, b: Params, syntax: TemplateSyntax): Params {
  if (syntax.goTemplate) return deepMerge(a, b) as Params;
  for (const [k, v] of Object.entries(b)) {
    if (k in a && a[k] !== v) throw new TemplateError(`matrix: parameter ${k} has two different values ("${String(a[k])}", "${String(v)}")`);
  }
  return { ...a, ...b };
}
