import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { normalizeLayout } from '../workspace/layout.ts';
import { RepoFiles } from '../workspace/repo-files.ts';
import { cachedResolution } from './resolution-cache.ts';
import { helmIdentity, resolveFresh } from './workspace.ts';

const FIXTURES = path.resolve(import.meta.dirname, '../../../../../test/fixtures/resolution');
const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

/** A copy of a resolution fixture, with a node_modules directory (where the cache lives) unless told otherwise. */
function workspace(fixture: string, withNodeModules = true): string {
  const root = mkdtempSync(path.join(tmpdir(), 'resolution-cache-'));
  dirs.push(root);
  cpSync(path.join(FIXTURES, fixture), root, { recursive: true });
  if (withNodeModules) mkdirSync(path.join(root, 'node_modules'));
  return root;
}

/** The real resolver (real helm for app-of-apps charts) behind the cache, counting the times it actually runs. */
function counted(root: string, charts?: string[]) {
  const layout = normalizeLayout(root, { charts });
  let runs = 0;
  return {
    resolve: () =>
      cachedResolution(layout, helmIdentity, (files) => {
        runs += 1;
        return resolveFresh(layout, files);
      }),
    fresh: async () => (await resolveFresh(layout, new RepoFiles(root))).resolution,
    get runs() {
      return runs;
    },
  };
}

const edit = (root: string, file: string, change: (text: string) => string) =>
  writeFileSync(path.join(root, file), change(readFileSync(path.join(root, file), 'utf8')));

/** Every file and directory of the workspace (node_modules aside) last modified an hour ago: settled, as in a checkout. */
function settle(root: string): void {
  const past = new Date(Date.now() - 3_600_000);
  for (const rel of readdirSync(root, { recursive: true }) as string[]) {
    if (!rel.startsWith('node_modules')) utimesSync(path.join(root, rel), past, past);
  }
  utimesSync(root, past, past);
}

const entryOf = (root: string) => {
  const dir = path.join(root, 'node_modules', '.cache', 'homelab');
  const [file] = readdirSync(dir).filter((f) => f.startsWith('resolution-'));
  return JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as { stamps?: [string, string][] };
};

describe('resolution cache', () => {
  it('answers an unchanged workspace from node_modules/.cache/homelab with what a fresh resolution gives', async () => {
    const root = workspace('basic');
    const r = counted(root, ['charts/*', 'platform/*']);
    const first = await r.resolve();
    const second = await r.resolve();
    expect(r.runs).toBe(1);
    expect(second).toEqual(first);
    expect(second).toEqual(await r.fresh());
    expect(readdirSync(path.join(root, 'node_modules', '.cache', 'homelab')).filter((f) => f.startsWith('resolution-'))).toHaveLength(1);
  });

  it('stores only what JSON gives back exactly: a YAML timestamp in valuesObject stays a Date, resolved each time', async () => {
    const root = workspace('basic');
    const r = counted(root, ['charts/*', 'platform/*']);
    const cacheDir = path.join(root, 'node_modules', '.cache', 'homelab');
    await r.resolve();
    expect(readdirSync(cacheDir).filter((f) => f.startsWith('resolution-'))).toHaveLength(1);
    rmSync(cacheDir, { recursive: true });

    edit(root, 'clusters/home/apps/db.yaml', (t) => t.replace('size: 10Gi', 'size: 10Gi\n          since: 2024-01-01'));
    const since = async () =>
      ((await r.resolve()).releases.find((x) => x.name === 'main')?.valuesObject as { persistence: { since?: unknown } }).persistence.since;
    expect(await since()).toEqual(new Date('2024-01-01'));
    expect(await since()).toEqual(new Date('2024-01-01'));
    expect(r.runs).toBe(3);
    expect(existsSync(cacheDir) ? readdirSync(cacheDir).filter((f) => f.startsWith('resolution-')) : []).toEqual([]);
  });

  it('resolves again when a manifest, a Chart.yaml or a directory listing the resolver read changes', async () => {
    const root = workspace('basic');
    const r = counted(root, ['charts/*', 'platform/*']);
    await r.resolve();

    edit(root, 'clusters/home/apps/web.yaml', (t) => t.replace(/sync-wave: "(-?\d+)"/, 'sync-wave: "7"'));
    const waves = (await r.resolve()).releases.map((x) => x.wave);
    expect(r.runs).toBe(2);
    expect(waves).toContain(7);
    expect(await r.resolve()).toEqual(await r.fresh());
    expect(r.runs).toBe(2);

    mkdirSync(path.join(root, 'charts', 'extra'));
    writeFileSync(path.join(root, 'charts', 'extra', 'Chart.yaml'), 'apiVersion: v2\nname: extra\nversion: 0.1.0\n');
    expect((await r.resolve()).charts.map((c) => c.name)).toContain('extra');
    expect(r.runs).toBe(3);

    edit(root, 'charts/extra/Chart.yaml', (t) => t.replace('0.1.0', '0.2.0'));
    expect((await r.resolve()).charts.find((c) => c.name === 'extra')?.version).toBe('0.2.0');
    expect(r.runs).toBe(4);
  });

  it('is not fooled by files the resolver never looked at, nor blind to one it only looked for', async () => {
    const root = workspace('basic');
    const r = counted(root, ['charts/*', 'platform/*']);
    const web = async () => (await r.resolve()).releases.find((x) => x.chart === 'web' && x.cluster === 'home')!;
    const chartDir = (await web()).chartDir;
    // helm dependency build creates charts/ inside the chart: the resolver only asked whether files exist there.
    mkdirSync(path.join(root, chartDir, 'charts'));
    writeFileSync(path.join(root, chartDir, 'charts', 'common-0.1.0.tgz'), 'archive');
    await r.resolve();
    expect(r.runs).toBe(1);
    // A value file the release lists disappears from that same directory: an answer the resolver relied on.
    rmSync(path.join(root, chartDir, 'values.yaml'));
    expect((await r.resolve()).findings.map((f) => f.message).join('\n')).toContain('value file');
    expect(r.runs).toBe(2);
  });

  it('resolves again when a file only helm reads for an app-of-apps chart changes', async () => {
    const root = workspace('app-of-apps');
    const r = counted(root);
    const names = async () => (await r.resolve()).releases.map((x) => x.name).sort();
    expect(await names()).toEqual(['api', 'root', 'web']);
    await r.resolve();
    expect(r.runs).toBe(1);
    // The resolver stops reading templates at the first one that produces Applications (applications.yaml); helm
    // renders this one too, and the Application it now produces is a new release.
    edit(
      root,
      'charts/apps/templates/configmap.yaml',
      (t) =>
        `${t}\n---\napiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: extra\nspec:\n  source:\n    path: charts/web\n  destination:\n    namespace: extra\n`,
    );
    expect(await names()).toEqual(['api', 'extra', 'root', 'web']);
    expect(r.runs).toBe(2);
    expect(await r.resolve()).toEqual(await r.fresh());
  });

  it('trusts the stat of settled inputs instead of rereading them, and still sees every change', async () => {
    const root = workspace('basic');
    const r = counted(root, ['charts/*', 'platform/*']);
    // Files modified after the resolution begins (dated ahead, so however slow the machine): no stat stands for them.
    const ahead = new Date(Date.now() + 600_000);
    utimesSync(path.join(root, 'clusters/home/apps/web.yaml'), ahead, ahead);
    await r.resolve();
    expect(entryOf(root).stamps).toBeUndefined();
    settle(root);
    await r.resolve();
    expect(r.runs).toBe(1);
    const stamps = new Map(entryOf(root).stamps);
    expect([...stamps.keys()]).toEqual(expect.arrayContaining(['clusters/home/apps/web.yaml', 'charts/web/Chart.yaml', 'charts']));

    // Same size, same modification time put back: the change time still tells.
    const web = path.join(root, 'clusters/home/apps/web.yaml');
    const { mtime } = statSync(web);
    edit(root, 'clusters/home/apps/web.yaml', (t) => t.replace('sync-wave: "-1"', 'sync-wave: "-7"'));
    utimesSync(web, mtime, mtime);
    expect((await r.resolve()).releases.map((x) => x.wave)).toContain(-7);
    expect(r.runs).toBe(2);

    settle(root);
    await r.resolve();
    expect(entryOf(root).stamps).toBeDefined();
    // A new Application in a directory the resolver listed.
    cpSync(web, path.join(root, 'clusters/home/apps/web2.yaml'));
    edit(root, 'clusters/home/apps/web2.yaml', (t) => t.replace(/name: (\S+)/, 'name: $1-two'));
    expect((await r.resolve()).releases.length).toBe((await r.fresh()).releases.length);
    expect(r.runs).toBe(3);
    expect(await r.resolve()).toEqual(await r.fresh());
  });

  it('sees a file it read as missing appear, though only its directory is stamped', async () => {
    const root = workspace('basic');
    const r = counted(root, ['charts/*', 'platform/*']);
    settle(root);
    await r.resolve();
    const stamped = new Map(entryOf(root).stamps);
    expect(stamped.has('charts/web')).toBe(true);
    expect(stamped.has('charts/web/.argocd-source.yaml')).toBe(false);
    await r.resolve();
    expect(r.runs).toBe(1);
    // ArgoCD Image Updater's write-back: an override file the resolver looked for, and found missing, appears.
    writeFileSync(path.join(root, 'charts/web/.argocd-source.yaml'), 'helm:\n  parameters:\n    - name: image.tag\n      value: "9.9.9"\n');
    const web = (await r.resolve()).releases.find((x) => x.chart === 'web' && x.cluster === 'home')!;
    expect(r.runs).toBe(2);
    expect(web.parameters).toContainEqual(expect.objectContaining({ name: 'image.tag', value: '9.9.9' }));
    expect(await r.resolve()).toEqual(await r.fresh());
  });

  it('writes nothing where the workspace has no node_modules (a temporary worktree)', async () => {
    const root = workspace('basic', false);
    const r = counted(root, ['charts/*', 'platform/*']);
    await r.resolve();
    await r.resolve();
    expect(r.runs).toBe(2);
    expect(existsSync(path.join(root, 'node_modules'))).toBe(false);
  });
});
