import type { Tree } from '@nx/devkit';
import { readNxJson } from '@nx/devkit';
import { resolveHelm } from '../core/helm/helm.ts';
import { PLUGIN_NAME, type WorkspaceLayout } from '../core/workspace/layout.ts';
import { resolveReleases, type Resolution } from '../core/resolve/releases.ts';
import { buildRootKustomization } from '../core/resolve/workspace.ts';
import { renderAppOfApps } from '../core/helm/render.ts';
import { RepoFiles, type DirEntry } from '../core/workspace/repo-files.ts';
import { isRecord } from '../core/workspace/yaml-docs.ts';
import { normalizeOptions, pluginLayout, type NormalizedOptions } from '../plugin/options.ts';

/**
 * The resolver's file view over an Nx generator's Tree: what the generator has written so far (not yet on disk)
 * is what the resolver sees, so a generator can ask "which Application deploys this new chart?" before anything
 * is written. Same visibility rules as RepoFiles (no dot-directories, no node_modules).
 */
export class TreeFiles extends RepoFiles {
  readonly #tree: Tree;

  constructor(tree: Tree) {
    super(tree.root);
    this.#tree = tree;
  }

  text(rel: string): Promise<string | undefined> {
    return Promise.resolve(this.#tree.isFile(rel) ? (this.#tree.read(rel, 'utf-8') ?? undefined) : undefined);
  }

  entries(rel: string): Promise<DirEntry[]> {
    const entries: DirEntry[] = [];
    for (const name of this.#tree.children(rel)) {
      const path = rel === '' ? name : `${rel}/${name}`;
      const file = this.#tree.isFile(path);
      if (!file && (name.startsWith('.') || name === 'node_modules')) continue;
      entries.push({ name, file, dir: !file });
    }
    return Promise.resolve(entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)));
  }
}

/** The plugin options of nx.json in the Tree (defaults when the plugin entry or nx.json is missing). */
export function pluginOptions(tree: Tree): NormalizedOptions {
  const nxJson = tree.exists('nx.json') ? readNxJson(tree) : null;
  const entry = (nxJson?.plugins ?? []).find((p) => (typeof p === 'string' ? p : p.plugin) === PLUGIN_NAME);
  return normalizeOptions(isRecord(entry) && isRecord(entry.options) ? entry.options : {});
}

export function treeLayout(tree: Tree): WorkspaceLayout {
  const options = pluginOptions(tree);
  return pluginLayout(tree.root, options);
}

/** The one resolver over the Tree; app-of-apps charts and root kustomizations are built from disk, as in core/resolve/workspace.ts. */
export function resolveTree(tree: Tree, layout = treeLayout(tree)): Promise<Resolution> {
  return resolveReleases(layout, {
    files: new TreeFiles(tree),
    renderChart: async (_dir, _name, _namespace, _files, release) => renderAppOfApps(layout.root, await resolveHelm(), release),
    buildKustomization: (dir) => buildRootKustomization(layout.root, dir),
  });
}
