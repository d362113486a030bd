/**
 * Promotion: the target environment takes the source environment's version pins for some apps, as one commit on a
 * new branch, and the target's render diff is the pull request description. Everything happens in a temporary
 * worktree of HEAD: the checkout, its branch and its index are never touched, and a dry run leaves no trace.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { renderDiff, renderDiffMarkdown } from '../ci/render-diff.ts';
import { HomelabError } from '../model/errors.ts';
import { requireCluster } from '../model/lookup.ts';
import type { Release } from '../model/types.ts';
import { resolveWorkspace } from '../resolve/workspace.ts';
import { commitOf, git, readAt, withWorktree } from '../workspace/git.ts';
import { readLayoutFromNxJson } from '../workspace/layout.ts';
import { promotionEdits, type PinEdit } from './version-pins.ts';
import type { Write } from './cluster.ts';

export interface PromoteRequest {
  /** App names (Nx project names), or 'all': every app both environments deploy. */
  apps: string[] | 'all';
  from: string;
  to: string;
  /** Print the render diff only: no branch, no commit. */
  dryRun?: boolean;
}

export interface PromoteResult {
  /** The branch made (undefined on a dry run or when nothing changes). */
  branch?: string;
  commit?: string;
  edits: PinEdit[];
  /** The pull request description: pins changed and the target's render diff, masked. */
  markdown: string;
}

export function promotionBranch(request: Pick<PromoteRequest, 'apps' | 'from' | 'to'>): string {
  const what = request.apps === 'all' ? 'all' : request.apps.join('-');
  return `promote/${request.from}-to-${request.to}-${what}`;
}

export async function promote(root: string, request: PromoteRequest, write: Write): Promise<PromoteResult> {
  if (request.from === request.to) throw new HomelabError(`--from and --to are both ${request.from}`, 'promote between two environments');
  const head = await commitOf(root, 'HEAD');
  if (!head) throw new HomelabError(`${root} has no commit yet`, 'commit the repository first: a promotion is a commit on top of HEAD');
  const branch = promotionBranch(request);
  if (!request.dryRun && (await commitOf(root, `refs/heads/${branch}`))) {
    throw new HomelabError(`branch ${branch} exists already`, `merge or delete it first (git branch -D ${branch})`);
  }
  return withWorktree(root, head, async (dir) => {
    const { layout } = await readLayoutFromNxJson(dir);
    const resolution = await resolveWorkspace(layout);
    const from = requireCluster(resolution.clusters, request.from);
    const to = requireCluster(resolution.clusters, request.to);
    const apps = selectApps(resolution.releases, request);
    const edits: PinEdit[] = [];
    for (const app of apps) {
      const of = (env: string) => resolution.releases.filter((r) => r.chart === app && r.cluster === env);
      const read = async (file: string) => (await readAt(dir, head, file)) ?? '';
      edits.push(...(await promotionEdits(of(request.from), of(request.to), { from: from.dir, to: to.dir }, read)));
    }
    await refuseUncommitted(root, edits);
    for (const edit of edits) await writeFile(path.join(dir, edit.file), edit.text);
    const refs = resolution.releases
      .filter((r) => r.cluster === request.to && edits.some((edit) => reads(r, edit.file)))
      .map((r) => ({ cluster: r.cluster, name: r.name, chart: r.chart }));
    let commit: string | undefined;
    if (!request.dryRun && edits.length > 0) {
      await git(dir, ['switch', '--quiet', '--create', branch]);
      await git(dir, ['add', '--', ...edits.map((e) => e.file)]);
      const subject = `promote ${apps.join(', ')} from ${request.from} to ${request.to}`;
      await git(dir, ['commit', '--quiet', '--no-verify', '-m', subject, '-m', describeEdits(edits)]);
      commit = (await git(dir, ['rev-parse', 'HEAD'])).trim();
    }
    // The head side is this worktree: the commit, or on a dry run the same files uncommitted.
    const report = await renderDiff(dir, {
      range: { base: head, head: commit ?? 'dry-run', requestedBase: head, note: '' },
      releases: { head: refs, base: refs },
    });
    const title = `## Promote ${apps.join(', ')} from ${request.from} to ${request.to}`;
    const pins = edits.length === 0 ? `${request.to} already runs ${request.from}'s versions: nothing to promote.` : describeEdits(edits);
    const markdown = `${title}\n\n${pins}\n\n${renderDiffMarkdown(report)}`;
    write(markdown);
    return { branch: commit ? branch : undefined, commit, edits, markdown };
  });
}

/** The apps asked for, each deployed by both environments; `all`: every such app. */
function selectApps(releases: Release[], request: PromoteRequest): string[] {
  const appsOf = (env: string) => new Set(releases.filter((r) => r.cluster === env).map((r) => r.chart));
  const [source, target] = [appsOf(request.from), appsOf(request.to)];
  if (source.size === 0) throw new HomelabError(`environment ${request.from} deploys nothing`, 'check --from (a clusters/<env>/ directory)');
  if (request.apps === 'all') return [...source].filter((app) => target.has(app)).sort();
  for (const app of request.apps) {
    for (const [env, deployed] of [
      [request.from, source],
      [request.to, target],
    ] as const) {
      if (!deployed.has(app)) {
        throw new HomelabError(`${app} is not deployed in ${env}`, `apps of ${env}: ${[...deployed].sort().join(', ')}`);
      }
    }
  }
  return request.apps;
}

/** Whether a release's render reads the file: its Application, a value file, or a manifest of its directory (root). */
function reads(release: Release, file: string): boolean {
  const { source } = release;
  if (source?.kind === 'directory' && file.startsWith(`${source.path}/`)) return true;
  return release.definedIn.includes(file) || release.valueFiles.some((v) => v.path === file);
}

/** A promotion works from HEAD: uncommitted changes to the files it rewrites would be silently left out. */
async function refuseUncommitted(root: string, edits: PinEdit[]): Promise<void> {
  if (edits.length === 0) return;
  const [dirty] = (await git(root, ['status', '--porcelain', '--', ...edits.map((e) => e.file)])).split('\n').filter(Boolean);
  if (dirty) {
    // `XY path`: two status columns and a space.
    const file = dirty.slice(3);
    throw new HomelabError(`${file} has uncommitted changes, and the promotion rewrites it from HEAD`, 'commit or discard them first');
  }
}

function describeEdits(edits: PinEdit[]): string {
  return edits.map((e) => [`- \`${e.file}\``, ...e.changes.map((c) => `  - ${c}`)].join('\n')).join('\n');
}
