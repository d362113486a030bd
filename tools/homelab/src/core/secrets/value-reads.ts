import { posix } from 'node:path';
import type { RepoFiles } from '../workspace/repo-files.ts';
import { isRecord, parseYamlDocument } from '../workspace/yaml-docs.ts';

/**
 * Which value paths a chart's templates can read: the `.Values.a.b` chains written in its templates and in
 * the templates of the library charts it includes. Used to decide whether a changed key of a shared value
 * file (secrets.yaml) can change a release's render. Sound rather than tight: anything it cannot follow
 * (`tpl`, a bare `.Values`, a values schema, a packaged subchart) widens the answer, up to "everything".
 */
export interface ValueReads {
  /** The chart may read any value. */
  all: boolean;
  /** Value paths read (a read of `a` covers everything under `a`). */
  paths: string[][];
  /** Why `all` is set (file and construct), for explanations. */
  why?: string;
  /**
   * `all` comes from a template reading values it does not name (`tpl`, a computed lookup): a render follows those
   * reads (a values schema or a packaged chart's templates are another matter).
   */
  dynamic?: boolean;
}

const FIELD_CHAIN = /\.Values\b((?:\.[A-Za-z_][A-Za-z0-9_]*)*)/g;
const INDEX_ARGS = /^\s*((?:"(?:[^"\\]|\\.)*"\s*)+)/;

/** Go template actions (`{{ … }}`) without comments: text outside them, and comments, read nothing. */
function actions(text: string): string {
  return [...text.matchAll(/\{\{-?([\s\S]*?)-?\}\}/g)]
    .map((m) => m[1])
    .filter((body) => !/^\s*\/\*/.test(body))
    .join('\n');
}

/** Value reads of one template file's text. */
export function templateValueReads(text: string, file: string): ValueReads {
  const code = actions(text);
  const reads: ValueReads = { all: false, paths: [] };
  const everything = (why: string) => {
    if (!reads.all) Object.assign(reads, { all: true, why, dynamic: true });
  };
  // tpl renders strings taken from values as templates: those strings can read any value.
  if (/(?<![\w.$])tpl\b/.test(code)) everything(`${file} uses tpl`);
  // Values reached by name instead of as a field (`index . "Values"`, `get $ "Values"`).
  if (/"Values"/.test(code)) everything(`${file} names "Values" in a string`);
  for (const match of code.matchAll(FIELD_CHAIN)) {
    const fields = match[1].split('.').filter(Boolean);
    if (fields.length > 0) {
      reads.paths.push(fields);
      continue;
    }
    const before = code.slice(Math.max(0, match.index - 40), match.index);
    const indexArgs = /\bindex\s+\$?[\w.]*$/.test(before) ? INDEX_ARGS.exec(code.slice(match.index + match[0].length)) : null;
    if (indexArgs) {
      reads.paths.push([...indexArgs[1].matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((m) => JSON.parse(`"${m[1]}"`) as string));
      continue;
    }
    everything(`${file} reads .Values as a whole`);
  }
  return reads;
}

/**
 * Value reads of a chart's releases: its templates, its library charts' templates (they run in the
 * chart's scope), and its application subcharts' templates (scoped under their name or alias, plus
 * `global`). A values schema validates every value, and a packaged (non `file://`) dependency is not
 * read, so either means "everything".
 */
export async function chartValueReads(files: RepoFiles, chartDir: string): Promise<ValueReads> {
  return readsOf(files, chartDir, []);
}

async function readsOf(files: RepoFiles, dir: string, seen: string[]): Promise<ValueReads> {
  const reads: ValueReads = { all: false, paths: [] };
  const add = (other: ValueReads, scope: string[]) => {
    if (other.all && !reads.all) Object.assign(reads, { all: true, why: other.why, dynamic: other.dynamic });
    for (const path of other.paths) reads.paths.push(path[0] === 'global' ? path : [...scope, ...path]);
  };
  if (seen.includes(dir)) return reads;
  if (await files.isFile(`${dir}/values.schema.json`)) {
    return { all: true, paths: [], why: `${dir}/values.schema.json validates every value` };
  }
  for (const file of await files.walk(`${dir}/templates`, 'file')) {
    add(templateValueReads((await files.text(file)) ?? '', file), []);
  }
  const meta = await chartMeta(files, dir);
  for (const dependency of meta.dependencies) {
    if (!dependency.repository.startsWith('file://')) {
      return { ...reads, all: true, why: `${dir}/Chart.yaml: dependency ${dependency.name} is packaged, its templates are not read`, dynamic: false };
    }
    const depDir = posix.normalize(posix.join(dir, dependency.repository.slice('file://'.length))).replace(/\/$/, '');
    const library = (await chartMeta(files, depDir)).type === 'library';
    add(await readsOf(files, depDir, [...seen, dir]), library ? [] : [dependency.alias ?? dependency.name]);
  }
  return reads;
}

interface ChartMeta {
  type: string;
  dependencies: { name: string; alias?: string; repository: string }[];
}

async function chartMeta(files: RepoFiles, dir: string): Promise<ChartMeta> {
  const text = await files.text(`${dir}/Chart.yaml`);
  const meta = text === undefined ? {} : parseYamlDocument(text, `${dir}/Chart.yaml`);
  const list = isRecord(meta) && Array.isArray(meta.dependencies) ? meta.dependencies : [];
  return {
    type: isRecord(meta) && meta.type === 'library' ? 'library' : 'application',
    dependencies: list.filter(isRecord).map((d) => ({
      name: String(d.name ?? ''),
      ...(typeof d.alias === 'string' && d.alias !== '' ? { alias: d.alias } : {}),
      repository: typeof d.repository === 'string' ? d.repository : '',
    })),
  };
}

/** Whether a read covers a changed path: one is a prefix of the other. */
export function readsPath(reads: ValueReads, changed: string[]): boolean {
  if (reads.all) return true;
  return reads.paths.some((read) => {
    const n = Math.min(read.length, changed.length);
    for (let i = 0; i < n; i += 1) if (read[i] !== changed[i]) return false;
    return true;
  });
}
