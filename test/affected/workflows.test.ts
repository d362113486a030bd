// The CI workflows: GitHub and Gitea run the same commands, docs/ci.md shows them, and the steps' shell
// commands work together when run like a runner runs them (GITHUB_ENV carried between steps).
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { parse } from 'yaml';
import { PINNED_HELM } from '../../tools/homelab/src/core/helm/pinned-helm.ts';
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
