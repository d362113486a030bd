// The package as users get it: `npm pack` of tools/homelab (the build the test setup made from the current sources),
// installed with npm into a fresh GitOps repository laid out unlike the example (charts under k8s/apps and k8s/lib,
// Applications under argocd/<env>/) with its own lockfile, then README's "Adopt the toolkit in an existing repo"
// commands as written. No TypeScript may run from the package: every Nx and homelab process gets
// --no-experimental-strip-types, so loading a .ts file would fail.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveHelm } from '../../tools/homelab/src/core/helm/helm.ts';
import { repoRoot } from '../support/workspace.ts';
import { createGitopsRepo, INIT, KUBE_VERSION, npmEnv, npmInstall, userEnv, withoutProxy } from './gitops-repo.ts';

/** Each release and the helm command ArgoCD's repo-server runs for it, written out (inline values on stdin). */
const RELEASES = [
  {
    target: 'hello',
    argv: ['template', 'hello', 'k8s/apps/whoami', '--namespace', 'web', '--kube-version', KUBE_VERSION, '-f', 'k8s/apps/whoami/values.yaml'],
    more: ['-f', 'k8s/apps/whoami/values-prod.yaml', '--set', 'message=from-argocd'],
    stdin: '',
  },
  {
    target: 'echo',
    argv: ['template', 'echo', 'k8s/apps/echo', '--namespace', 'echo', '--kube-version', KUBE_VERSION],
    more: ['-f', '-'],
    stdin: 'greeting: prod\n',
  },
  {
    target: 'staging/whoami',
    argv: ['template', 'whoami', 'k8s/apps/whoami', '--namespace', 'web-staging', '--kube-version', KUBE_VERSION, '-f', 'k8s/apps/whoami/values.yaml'],
    more: ['-f', '-'],
    stdin: 'message: staging\n',
  },
];

describe('the packed @homelab/nx in a fresh repository', () => {
  let scratch: string;
  let root: string;
  let tarball: string;
  let packed: string[];
  let helmBin: string;
  let env: Record<string, string>;

  /** The README's commands, run in the repository as a user would (npx from its node_modules). */
  const npx = (...args: string[]) =>
    execa('npx', args, { cwd: root, env: args.includes('@homelab/nx:init') ? withoutProxy(env) : env, extendEnv: false, stripFinalNewline: false, all: true });

  beforeAll(async () => {
    scratch = mkdtempSync(path.join(tmpdir(), 'homelab-package-'));
    root = path.join(scratch, 'gitops');
    helmBin = (await resolveHelm()).bin;
    const pack = await execa('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', scratch], {
      cwd: path.join(repoRoot, 'tools/homelab'),
      env: npmEnv(),
      extendEnv: false,
    });
    const [info] = JSON.parse(pack.stdout) as { filename: string; files: { path: string }[] }[];
    tarball = path.join(scratch, info.filename);
    packed = info.files.map((f) => f.path);
    await createGitopsRepo(root, helmBin);
    await npmInstall(root, tarball);
    env = userEnv(root, helmBin);
  });
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('ships JavaScript and type declarations only, and manifests naming the built modules', () => {
    expect(packed.filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))).toEqual([]);
    expect(packed).toEqual(
      expect.arrayContaining(['package.json', 'dist/plugin.js', 'dist/executors.json', 'dist/generators.json', 'dist/src/bin/homelab.js']),
    );
    const manifest = JSON.parse(readFileSync(path.join(root, 'node_modules/@homelab/nx/dist/executors.json'), 'utf8')) as {
      executors: Record<string, { implementation: string; schema: string }>;
    };
    for (const { implementation, schema } of Object.values(manifest.executors)) {
      expect(packed).toContain(path.posix.join('dist', implementation));
      expect(packed).toContain(path.posix.join('dist', schema));
    }
  });

  it('nx g @homelab/nx:init finds the charts and the Applications and writes nx.json', async () => {
    // One cluster per directory under argocd/ (detection alone would take argocd/ as one cluster).
    const init = await npx(...INIT);
    expect(init.all).toContain('3 charts (k8s/*/*), 2 clusters (argocd/*), 3 releases from ArgoCD manifests');
    const nxJson = JSON.parse(readFileSync(path.join(root, 'nx.json'), 'utf8')) as { plugins: { plugin: string; options: Record<string, string[]> }[] };
    expect(nxJson.plugins).toEqual([{ plugin: '@homelab/nx', options: { chartGlobs: ['k8s/*/*'], clusterGlobs: ['argocd/*'] } }]);
    expect(readFileSync(path.join(root, 'argocd/prod/cluster.yaml'), 'utf8')).toContain(`kubeVersion: "${KUBE_VERSION}"`);
  });

  let tasks = 0;
  it('nx run-many -t render renders every release', async () => {
    const run = await npx('nx', 'run-many', '-t', 'render', '--outputStyle=static');
    tasks = Number(/Successfully ran target render for \d+ projects? and (\d+) tasks? (they|it) depends? on/.exec(run.all)?.[1] ?? 0);
    tasks += Number(/Successfully ran target render for (\d+) projects?/.exec(run.all)?.[1]);
    expect(readFileSync(path.join(root, 'dist/rendered/prod/hello.yaml'), 'utf8')).toContain('message: "from-argocd"');
    expect(readFileSync(path.join(root, 'dist/rendered/staging/whoami.yaml'), 'utf8')).toContain('app.kubernetes.io/instance: whoami');
    expect(readFileSync(path.join(root, 'dist/rendered/prod/echo.yaml'), 'utf8')).toContain('greeting: "prod"');
  });

  it.each(RELEASES)('npx homelab template $target is byte-identical to the helm command written by hand', async ({ target, argv, more, stdin }) => {
    const ours = await npx('homelab', 'template', target);
    const helm = await execa(helmBin, [...argv, ...more, '--include-crds'], { cwd: root, input: stdin, stripFinalNewline: false });
    expect(ours.stdout).toBe(helm.stdout);
    expect(ours.stderr).toBe('');
  });

  it('a second nx run-many -t render is all cache hits', async () => {
    const again = await npx('nx', 'run-many', '-t', 'render', '--outputStyle=static');
    expect(tasks).toBeGreaterThanOrEqual(3);
    expect(again.all).toContain(`Nx read the output from the cache instead of running the command for ${tasks} out of ${tasks} tasks.`);
  });
});
