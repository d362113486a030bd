/**
 * Which named templates a change to a library chart alters, and whether a chart built on it uses one. Helm keeps only
 * a library's `define`s (a library renders nothing itself), so a dependent whose templates include none of the
 * changed ones renders the same. Whatever this cannot follow exactly — a template it cannot parse, an include whose
 * name is computed, `tpl` (values may name templates), a dependency that is not a local library — keeps the dependent.
 */
import { parse } from 'yaml';
import { chartAt } from '../model/lookup.ts';
import type { Chart } from '../model/types.ts';
import type { RepoFiles } from '../workspace/repo-files.ts';

const ACTION = /\{\{-?\s*([\s\S]*?)\s*-?\}\}/g;
const OPENS = new Set(['if', 'range', 'with', 'define', 'block']);

/**
 * Each `define`/`block` of a template file: its name → its exact text, the define action through its `end` action
 * (their trim markers change the output). Undefined when the actions do not nest: then nothing can be concluded.
 */
export function namedTemplates(text: string): Map<string, string> | undefined {
  const defines = new Map<string, string>();
  const open: { word: string; start: number; name?: string }[] = [];
  for (const match of text.matchAll(ACTION)) {
    const action = match[1];
    if (action.startsWith('/*')) continue;
    const word = /^[a-z]+/.exec(action)?.[0] ?? '';
    if (OPENS.has(word)) {
      open.push({ word, start: match.index, name: /^(?:define|block)\s+"([^"]+)"/.exec(action)?.[1] });
    } else if (word === 'end') {
      const block = open.pop();
      if (!block) return undefined;
      if (block.word === 'define' || block.word === 'block') {
        if (!block.name) return undefined;
        defines.set(block.name, text.slice(block.start, match.index + match[0].length));
      }
    }
  }
  return open.length === 0 ? defines : undefined;
}

/** The template names a text includes; `dynamic` when a name is computed or `tpl` may include any. */
export function includedTemplates(text: string): { names: Set<string>; dynamic: boolean } {
  const names = new Set<string>();
  let dynamic = false;
  for (const match of text.matchAll(ACTION)) {
    if (match[1].startsWith('/*')) continue;
    for (const call of match[1].matchAll(/\b(include|template|tpl)\b\s*(?:"([^"]*)")?/g)) {
      if (call[1] !== 'tpl' && call[2] !== undefined) names.add(call[2]);
      else dynamic = true;
    }
  }
  return { names, dynamic };
}

type Defines = Map<string, string>;

/** Every define of the template files under `chartDir/templates`; undefined when one does not parse. */
async function chartDefines(files: RepoFiles, chartDir: string): Promise<Defines | undefined> {
  const all: Defines = new Map();
  for (const file of await files.walk(`${chartDir}/templates`, 'file')) {
    const defines = namedTemplates((await files.text(file)) ?? '');
    if (!defines) return undefined;
    for (const [name, text] of defines) all.set(name, text);
  }
  return all;
}

export interface LibraryChange {
  /** Changed library chart directories. */
  libraries: Set<string>;
  /** Names whose output may differ: changed defines and every define that includes one. Undefined: unknown. */
  names?: Set<string>;
}

/**
 * What a change confined to library templates alters: the defines whose text differs between the sides (added and
 * removed ones too), then every define at head that includes one of them, until nothing more is added.
 */
export async function libraryChange(libraries: Set<string>, base: RepoFiles, head: RepoFiles): Promise<LibraryChange> {
  const before: Defines = new Map();
  const after: Defines = new Map();
  for (const dir of libraries) {
    const [b, a] = await Promise.all([chartDefines(base, dir), chartDefines(head, dir)]);
    if (!b || !a) return { libraries };
    for (const [name, text] of b) before.set(name, text);
    for (const [name, text] of a) after.set(name, text);
  }
  const names = new Set([...before.keys(), ...after.keys()].filter((name) => before.get(name) !== after.get(name)));
  for (let grown = true; grown; ) {
    grown = false;
    for (const [name, text] of after) {
      if (names.has(name)) continue;
      const uses = includedTemplates(text);
      if (uses.dynamic || [...uses.names].some((n) => names.has(n))) {
        names.add(name);
        grown = true;
      }
    }
  }
  return { libraries, names };
}

/**
 * Why `chart` renders the same after `change`, or undefined when it may not: it builds on a changed library, every
 * chart it builds on is a local library, and its templates include none of the changed names.
 */
export async function unusedLibraryChange(chart: Chart, charts: readonly Chart[], change: LibraryChange, files: RepoFiles): Promise<string | undefined> {
  if (!change.names) return undefined;
  const declared = parse((await files.text(`${chart.dir}/Chart.yaml`)) ?? '') as { dependencies?: unknown[] } | null;
  if ((declared?.dependencies?.length ?? 0) !== chart.localDependencies.length) return undefined;
  const closure = new Set<string>();
  for (let next = chart.localDependencies.map((d) => d.dir); next.length > 0; ) {
    const dir = next.pop()!;
    if (closure.has(dir)) continue;
    closure.add(dir);
    const dependency = chartAt(charts, dir);
    if (dependency?.type !== 'library') return undefined;
    next.push(...dependency.localDependencies.map((d) => d.dir));
  }
  const changed = [...change.libraries].filter((dir) => closure.has(dir));
  if (changed.length === 0) return undefined;
  for (const file of await files.walk(`${chart.dir}/templates`, 'file')) {
    const uses = includedTemplates((await files.text(file)) ?? '');
    if (uses.dynamic || [...uses.names].some((n) => change.names!.has(n))) return undefined;
  }
  return `library: includes none of the changed templates of ${changed.join(', ')} (${[...change.names].sort().join(', ') || 'no define changed'})`;
}
