/**
 * The example's directory and Kustomize Applications, through hack/template, against hand-written kubectl kustomize
 * runs: whoami (clusters/home/apps/whoami.yaml, a Kustomize overlay with the Application's image pin and common
 * annotation) and root (clusters/<env>/root.yaml, a directory source with recurse: the Applications ArgoCD applies).
 */
import { cp, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { parseAllDocuments } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { childEnv, repoRoot } from './support/workspace.ts';
import { resolveKubectl } from '../tools/homelab/src/core/cluster/kube.ts';
import { canonicalStream } from '../tools/homelab/src/core/render/directory.ts';

let kubectl: string;
beforeAll(async () => {
  kubectl = await resolveKubectl();
});

const hackTemplate = async (target: string, ...args: string[]) =>
  (await execa(path.join(repoRoot, 'hack', 'template'), [target, ...args], { cwd: repoRoot, env: childEnv() })).stdout;

describe('the example directory and Kustomize releases', () => {
  it('whoami is kubectl kustomize of its overlay with the Application kustomize options written in by hand', async () => {
    const scratch = await mkdtemp(path.join(tmpdir(), 'whoami-expected-'));
    await cp(path.join(repoRoot, 'kustomize'), path.join(scratch, 'kustomize'), { recursive: true });
    const overlay = path.join(scratch, 'kustomize/whoami/home/kustomization.yaml');
    await writeFile(
      overlay,
      `${await readFile(overlay, 'utf8')}images:\n  - name: traefik/whoami\n    newTag: v1.11.0\ncommonAnnotations:\n  homelab.example.invalid/owner: apps\n`,
    );
    const expected = (await execa(kubectl, ['kustomize', path.dirname(overlay)])).stdout;
    expect(await hackTemplate('whoami')).toBe(expected);
    expect(expected).toContain('image: traefik/whoami:v1.11.0');
  });

  // Each environment's root app-of-apps is one project, `root`, with a configuration per environment.
  for (const env of ['home', 'lab']) {
    it(`root --cluster ${env} prints the objects of clusters/${env}/apps in file order, each as kubectl kustomize reads it`, async () => {
      const dir = path.join(repoRoot, `clusters/${env}/apps`);
      // One object per file in the example; fifo keeps kustomize from reordering them by kind.
      const files = (await readdir(dir)).filter((f) => /\.ya?ml$/.test(f)).sort();
      const scratch = await mkdtemp(path.join(tmpdir(), 'root-expected-'));
      const resources = files.map((f) => `  - ${path.relative(scratch, path.join(dir, f))}`).join('\n');
      await writeFile(path.join(scratch, 'kustomization.yaml'), `sortOptions:\n  order: fifo\nresources:\n${resources}\n`);
      const built = (await execa(kubectl, ['kustomize', '--load-restrictor', 'LoadRestrictionsNone', scratch])).stdout;
      const objects = parseAllDocuments(built, { version: '1.1' }).map((doc) => doc.toJS() as Record<string, unknown>);
      expect(objects).toHaveLength(files.length);
      const expected = canonicalStream(objects.map((object, i) => ({ file: `clusters/${env}/apps/${files[i]}`, object })));
      expect(`${await hackTemplate('root', '--cluster', env)}\n`).toBe(expected);
      expect(expected).toContain(`# Source: clusters/${env}/apps/monitoring.yaml\napiVersion: argoproj.io/v1alpha1\nkind: Application\n`);
    });
  }
});
