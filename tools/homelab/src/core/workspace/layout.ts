import { readFile } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import { HomelabError } from '../model/errors.ts';
import { isRecord } from './yaml-docs.ts';

/** Where charts and cluster directories live in the workspace. */
export interface WorkspaceLayout {
  /** Absolute workspace root. */
  root: string;
  /** Globs of chart directories, workspace-relative (`**` allowed). */
  charts: string[];
  /** Globs of cluster directories, workspace-relative. */
  clusters: string[];
  /** How chart directories become project names (charts.ts `chartProjectNames`). */
  projectNames: ProjectNaming;
}

/**
 * `basename`: the directory's name, or the shortest path suffix that tells clashing names apart (`apps-root`);
 * `path`: the whole workspace-relative path joined with `-` (`charts-apps-root`), so no name changes when a chart
 * with the same directory name is added elsewhere.
 */
export type ProjectNaming = 'basename' | 'path';
export const PROJECT_NAMINGS: readonly ProjectNaming[] = ['basename', 'path'];

export const DEFAULT_CHART_GLOBS = ['charts/*'];
export const DEFAULT_CLUSTER_GLOBS = ['clusters/*'];

/** The nx.json plugin entry whose options configure the layout. */
export const PLUGIN_NAME = '@homelab/nx';

/** `projectNames` may be any string a user wrote in nx.json: anything but a known naming is refused here. */
export function normalizeLayout(
  root: string,
  partial: Partial<Omit<WorkspaceLayout, 'root' | 'projectNames'>> & { projectNames?: string } = {},
): WorkspaceLayout {
  return {
    root: resolve(root),
    charts: normalizeGlobs(partial.charts, DEFAULT_CHART_GLOBS, 'chart'),
    clusters: normalizeGlobs(partial.clusters, DEFAULT_CLUSTER_GLOBS, 'cluster'),
    projectNames: normalizeNaming(partial.projectNames),
  };
}

function normalizeNaming(naming: string | undefined): ProjectNaming {
  if (naming === undefined) return 'basename';
  const known = PROJECT_NAMINGS.find((n) => n === naming);
  if (!known) throw new HomelabError(`nx.json: ${PLUGIN_NAME} option projectNames is "${naming}"`, `use one of ${PROJECT_NAMINGS.join(', ')}`);
  return known;
}

function normalizeGlobs(globs: string[] | undefined, defaults: string[], what: string): string[] {
  if (globs === undefined || globs.length === 0) return [...defaults];
  return globs.map((glob) => {
    const clean = glob.trim().replace(/^\.\//, '').replace(/\/+$/, '');
    if (clean === '' || isAbsolute(clean) || clean.split('/').includes('..')) {
      throw new HomelabError(`invalid ${what} glob "${glob}"`, 'use a workspace-relative glob such as "charts/*" (no absolute paths, no "..")');
    }
    return clean;
  });
}

/**
 * Layout from the options of our plugin entry in nx.json
 * (`plugins: [{ plugin: '@homelab/nx', options: { chartGlobs, clusterGlobs, projectNames } }]`).
 * Never throws for a missing or broken nx.json: the hack scripts must work without Nx, so they get
 * the defaults and a warning to print.
 */
export async function readLayoutFromNxJson(root: string): Promise<{ layout: WorkspaceLayout; warning?: string }> {
  const file = join(resolve(root), 'nx.json');
  let nxJson: unknown;
  try {
    nxJson = JSON.parse(await readFile(file, 'utf8'));
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'missing' : `unreadable (${firstLine(err)})`;
    return { layout: normalizeLayout(root), warning: `nx.json ${why}: using default globs charts/* and clusters/*` };
  }
  const plugins = isRecord(nxJson) && Array.isArray(nxJson.plugins) ? nxJson.plugins : [];
  const entry = plugins.find((p): p is Record<string, unknown> => isRecord(p) && p.plugin === PLUGIN_NAME);
  const options = entry && isRecord(entry.options) ? entry.options : {};
  const warnings: string[] = [];
  const globs = (key: string): string[] | undefined => {
    const value = options[key];
    if (value === undefined) return undefined;
    if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value;
    warnings.push(`nx.json: ${PLUGIN_NAME} option ${key} must be a list of globs; using the default`);
    return undefined;
  };
  const naming = (): ProjectNaming | undefined => {
    const value = options.projectNames;
    if (value === undefined) return undefined;
    const known = PROJECT_NAMINGS.find((n) => n === value);
    if (!known) warnings.push(`nx.json: ${PLUGIN_NAME} option projectNames must be one of ${PROJECT_NAMINGS.join(', ')}; using basename`);
    return known;
  };
  try {
    const layout = normalizeLayout(root, { charts: globs('chartGlobs'), clusters: globs('clusterGlobs'), projectNames: naming() });
    return { layout, warning: warnings.length ? warnings.join('; ') : undefined };
  } catch (err) {
    return { layout: normalizeLayout(root), warning: `nx.json: ${firstLine(err)}; using the default globs` };
  }
}

function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0];
}
