import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { normalizeLayout, readLayoutFromNxJson } from './layout.ts';

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'homelab-layout-'));
});
afterEach(() => rm(root, { recursive: true, force: true }));

describe('normalizeLayout', () => {
  it('fills defaults and cleans globs', () => {
    expect(normalizeLayout(root)).toEqual({ root, charts: ['charts/*'], clusters: ['clusters/*'], projectNames: 'basename' });
    expect(normalizeLayout(root, { charts: ['./apps/*/', 'charts/**'], clusters: [], projectNames: 'path' })).toEqual({
      root,
      charts: ['apps/*', 'charts/**'],
      clusters: ['clusters/*'],
      projectNames: 'path',
    });
  });

  it('refuses globs that leave the workspace', () => {
    expect(() => normalizeLayout(root, { charts: ['../other/*'] })).toThrow('invalid chart glob "../other/*"');
    expect(() => normalizeLayout(root, { clusters: ['/abs/*'] })).toThrow('invalid cluster glob "/abs/*"');
  });
});

describe('readLayoutFromNxJson', () => {
  it('reads our plugin options', async () => {
    await writeFile(
      join(root, 'nx.json'),
      JSON.stringify({
        plugins: [
          '@nx/js',
          { plugin: '@other/x', options: { chartGlobs: ['nope/*'] } },
          { plugin: '@homelab/nx', options: { chartGlobs: ['helm/*'], clusterGlobs: ['envs/*'], projectNames: 'path' } },
        ],
      }),
    );
    expect(await readLayoutFromNxJson(root)).toEqual({ layout: { root, charts: ['helm/*'], clusters: ['envs/*'], projectNames: 'path' }, warning: undefined });
  });

  it('uses the defaults without a plugin entry, silently', async () => {
    await writeFile(join(root, 'nx.json'), '{"plugins": ["@homelab/nx"]}');
    expect(await readLayoutFromNxJson(root)).toEqual({ layout: normalizeLayout(root), warning: undefined });
  });

  it('falls back to the defaults with a warning when nx.json is missing, broken or wrong', async () => {
    const missing = await readLayoutFromNxJson(root);
    expect(missing.layout).toEqual(normalizeLayout(root));
    expect(missing.warning).toBe('nx.json missing: using default globs charts/* and clusters/*');

    await writeFile(join(root, 'nx.json'), '{ "plugins": [ ');
    const broken = await readLayoutFromNxJson(root);
    expect(broken.layout).toEqual(normalizeLayout(root));
    expect(broken.warning).toMatch(/^nx\.json unreadable \(.+\): using default globs/);

    await writeFile(
      join(root, 'nx.json'),
      JSON.stringify({ plugins: [{ plugin: '@homelab/nx', options: { chartGlobs: 'charts/*', clusterGlobs: ['../x'] } }] }),
    );
    const wrong = await readLayoutFromNxJson(root);
    expect(wrong.layout).toEqual(normalizeLayout(root));
    expect(wrong.warning).toBe('nx.json: invalid cluster glob "../x"; using the default globs');

    // An unknown naming keeps the globs: only the naming falls back.
    await writeFile(
      join(root, 'nx.json'),
      JSON.stringify({ plugins: [{ plugin: '@homelab/nx', options: { chartGlobs: ['helm/*'], projectNames: 'dirname' } }] }),
    );
    const naming = await readLayoutFromNxJson(root);
    expect(naming.layout).toEqual(normalizeLayout(root, { charts: ['helm/*'] }));
    expect(naming.warning).toBe('nx.json: @homelab/nx option projectNames must be one of basename, path; using basename');
  });
});
