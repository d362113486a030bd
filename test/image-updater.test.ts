// ArgoCD Image Updater's git write-back (.argocd-source-<app>.yaml, and the shared .argocd-source.yaml) merged into the
// Application's source as ArgoCD's repo-server merges it, then rendered with real helm.
import { execa } from 'execa';
import { cpSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { template } from '../tools/homelab/src/core/commands/template.ts';
import { resolveHelm } from '../tools/homelab/src/core/helm/helm.ts';
import type { Release } from '../tools/homelab/src/core/model/types.ts';
import { openWorkspace, type Workspace } from '../tools/homelab/src/core/resolve/workspace.ts';
import { normalizeLayout } from '../tools/homelab/src/core/workspace/layout.ts';
import { repoRoot } from './support/workspace.ts';

describe('parameter override files in the source directory', () => {
  let root: string;
  let ws: Workspace;
  const release = (name: string): Release => ws.resolution.releases.find((r) => r.name === name)!;
  beforeAll(async () => {
    root = mkdtempSync(path.join(tmpdir(), 'homelab-image-updater-'));
    cpSync(path.join(repoRoot, 'test/fixtures/resolution/image-updater'), root, { recursive: true });
    ws = await openWorkspace(root, normalizeLayout(root, { charts: ['charts/*'] }));
  });

  it('merge the shared file, then the Application’s own (lists replace, forcestring read as forceString)', () => {
    expect(ws.resolution.findings).toEqual([]);
    expect(release('web').parameters).toEqual([
      { name: 'image.repository', value: 'ghcr.io/example/web', forceString: true },
      { name: 'image.tag', value: '1.30', forceString: true },
    ]);
    expect(release('web').definedIn).toEqual(['clusters/home/web.yaml', 'charts/web/.argocd-source.yaml', 'charts/web/.argocd-source-web.yaml']);
    // canary has no file of its own: the shared file's parameters replace the Application's.
    expect(release('canary').parameters).toEqual([{ name: 'replicas', value: '3', forceString: false }]);
    // The files cannot move the source: `path: somewhere/else` is ignored, as ArgoCD ignores it.
    expect(release('web').chartDir).toBe('charts/web');
  });

  it('render as helm template with the written-back parameters (--set-string keeps 1.30 a string)', async () => {
    const { bin } = await resolveHelm();
    const byHand = await execa(
      bin,
      [
        'template',
        'web',
        'charts/web',
        '--namespace',
        'web',
        '-f',
        'charts/web/values.yaml',
        '--set-string',
        'image.repository=ghcr.io/example/web',
        '--set-string',
        'image.tag=1.30',
        '--kube-version',
        '1.31.0',
      ],
      { cwd: root, stripFinalNewline: false },
    );
    const [rendered] = await template(ws, { target: 'home/web', keyless: true }, () => {});
    expect(rendered.manifest).toBe(byHand.stdout);
    expect(rendered.manifest).toContain('image: "ghcr.io/example/web:1.30"');
    expect(rendered.manifest).toContain('tagKind: "string"');
  });
});
