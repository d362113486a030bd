// What `npm run bench` measures on one generated workspace. Each scenario pairs our command with the raw
// equivalent a person would type (hand-written here from the generator's description of the workspace, not derived
// from our resolver), measured round-robin in the same run.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import path from 'node:path';
import { decryptFile, editFile } from '../../tools/homelab/src/core/secrets/index.ts';
import { cleanEnv, nx, stopDaemon } from './env.ts';
import { interleave, run, sequence, stats, type Measured, type Stats, type Timing } from './measure.ts';
import { repoRoot, type BenchWorkspace, type GeneratedChart } from './workspace.ts';

export interface Context {
  ws: BenchWorkspace;
  helm: string;
  /** secrets.yaml decrypted once, up front, for the raw side (kept in memory, piped to helm's stdin). */
  plaintext: Buffer;
  runs: number;
}

export async function createContext(ws: BenchWorkspace, helm: string, runs: number): Promise<Context> {
  const { plaintext } = await decryptFile(path.join(ws.root, 'secrets.yaml'), { workspaceRoot: ws.root, env: {} });
  return { ws, helm, plaintext: Buffer.from(plaintext), runs };
}

const KUBE_VERSION = '1.33.0';

/** `helm template` as ArgoCD runs it for a generated chart: its value files in order, secrets on stdin. */
function rawTemplateArgs(chart: GeneratedChart): string[] {
  const args = ['template', '.', '--name-template', chart.name, '--namespace', chart.name, '--kube-version', KUBE_VERSION];
  for (const p of chart.parameters) args.push('--set', `${p.name}=${p.value}`);
  for (const v of chart.valueFiles) args.push('--values', v.secret ? '-' : v.path);
  return [...args, '--include-crds'];
}

function rawTemplate(ctx: Context, chart: GeneratedChart, capture = false) {
  return run(ctx.helm, rawTemplateArgs(chart), { cwd: path.join(ctx.ws.root, chart.dir), env: cleanEnv(ctx.helm), input: ctx.plaintext, capture });
}

function rawDependencyBuild(ctx: Context, chart: GeneratedChart): Promise<Timing> {
  return run(ctx.helm, ['dependency', 'build', '--skip-refresh', '.'], { cwd: path.join(ctx.ws.root, chart.dir), env: cleanEnv(ctx.helm) });
}

/** Back to a fresh clone's state: no packaged dependencies in any chart. */
function removeBuiltDependencies(ctx: Context, charts = ctx.ws.charts): void {
  for (const chart of charts) rmSync(path.join(ctx.ws.root, chart.dir, 'charts'), { recursive: true, force: true });
}

/** Our caches outside Nx's (resolution, helm version, packaged dependencies): gone in a fresh clone. */
function removeToolCaches(ctx: Context): void {
  rmSync(path.join(ctx.ws.root, 'node_modules', '.cache'), { recursive: true, force: true });
}

function hackTemplate(ctx: Context, target: string, capture = false) {
  return run(process.execPath, [path.join(ctx.ws.root, 'hack', 'template'), target], { cwd: ctx.ws.root, env: cleanEnv(ctx.helm), capture });
}

/** The chart the single-chart scenarios render: one with its own Application, parameters and secrets. */
export function sampleChart(ctx: Context): GeneratedChart {
  return ctx.ws.charts.find((c) => c.readsSecrets && c.parameters.length > 0) ?? ctx.ws.charts[0];
}

export interface HackResult {
  chart: string;
  /** Deps already in charts/ (a working checkout): hack/template vs `helm template`. */
  built: { hack: Measured; raw: Measured };
  /** Fresh clone: hack/template vs `helm dependency build` + `helm template`. */
  fresh: { hack: Measured; raw: Measured };
  /** hack/template printed exactly what raw helm printed (a chart without secrets, so nothing is masked). */
  identical: boolean;
}

export async function hackVsRaw(ctx: Context): Promise<HackResult> {
  const chart = sampleChart(ctx);
  const plain = ctx.ws.charts.find((c) => !c.readsSecrets)!;
  await rawDependencyBuild(ctx, plain);
  const identical = (await hackTemplate(ctx, plain.name, true)).stdout === (await rawTemplate(ctx, plain, true)).stdout;
  await rawDependencyBuild(ctx, chart);
  await hackTemplate(ctx, chart.name); // warm-up: file system caches, first-run cache files
  const fresh = () => removeBuiltDependencies(ctx, [chart]);
  const m = await interleave(ctx.runs, {
    hackBuilt: { run: () => hackTemplate(ctx, chart.name) },
    rawBuilt: { run: () => rawTemplate(ctx, chart) },
    hackFresh: { setup: fresh, run: () => hackTemplate(ctx, chart.name) },
    rawFresh: { setup: fresh, run: () => sequence([() => rawDependencyBuild(ctx, chart), () => rawTemplate(ctx, chart)]) },
  });
  return { chart: chart.name, built: { hack: m.hackBuilt, raw: m.rawBuilt }, fresh: { hack: m.hackFresh, raw: m.rawFresh }, identical };
}

export interface ExampleResult {
  chart: string;
  hack: Measured;
  raw: Measured;
  /** `node -e ''`: with raw helm, the floor of any tool that starts Node per call. */
  node: Measured;
  /** The same raw helm spawned by a few lines of Node that pipe the values in and write its output: the floor of any Node tool that runs helm. */
  launcher: Measured;
}

/**
 * The least a Node program can do to run helm for the user: spawn it, pipe the values it was given to helm's stdin,
 * write what helm printed. No resolution, decryption or masking; CommonJS, which loads faster than ESM.
 */
const LAUNCHER = `const { spawn } = require('node:child_process');
const [bin, ...args] = process.argv.slice(1);
const child = spawn(bin, args, { stdio: ['pipe', 'pipe', 'inherit'] });
process.stdin.pipe(child.stdin);
const out = [];
child.stdout.on('data', (chunk) => out.push(chunk));
child.on('close', (code) => { process.stdout.write(Buffer.concat(out)); process.exitCode = code; });`;

/**
 * P1 on this repository's own example: `hack/template home/monitoring` (one release: the chart is deployed to every
 * environment) against the `helm template` a person would type from clusters/home/apps/monitoring.yaml, with
 * secrets.yaml decrypted once up front and piped on stdin. Dependencies are built first, so both sides only render.
 */
export async function exampleHackVsRaw(helm: string, runs: number): Promise<ExampleResult> {
  const { plaintext } = await decryptFile(path.join(repoRoot, 'secrets.yaml'), { workspaceRoot: repoRoot, env: {} });
  const cwd = path.join(repoRoot, 'charts', 'monitoring');
  const env = cleanEnv(helm);
  // kubeVersion from clusters/home/cluster.yaml.
  const args = ['template', '.', '--name-template', 'monitoring', '--namespace', 'monitoring', '--kube-version', '1.33.0'];
  args.push('--set', 'prometheus.retention=30d', '--set-string', 'grafana.env.GF_USERS_ALLOW_SIGN_UP=false');
  args.push('--values', 'values.yaml', '--values', '../../clusters/home/values/global.yaml', '--values', '../../clusters/home/versions/monitoring.yaml');
  args.push('--values', '-', '--include-crds');
  const raw = () => run(helm, args, { cwd, env, input: Buffer.from(plaintext) });
  const hack = () => run(process.execPath, [path.join(repoRoot, 'hack', 'template'), 'home/monitoring'], { cwd: repoRoot, env });
  await run(helm, ['dependency', 'build', '--skip-refresh', '.'], { cwd, env });
  await hack(); // warm-up: file system caches, the resolution cache
  await raw();
  const node = () => run(process.execPath, ['-e', ''], { cwd: repoRoot, env });
  const launcher = () => run(process.execPath, ['-e', LAUNCHER, helm, ...args], { cwd, env, input: Buffer.from(plaintext) });
  await launcher();
  const m = await interleave(runs, { hack: { run: hack }, raw: { run: raw }, node: { run: node }, launcher: { run: launcher } });
  return { chart: 'home/monitoring', ...m };
}

export interface NxRunResult {
  chart: string;
  variants: Record<'missNoDaemon' | 'missDaemon' | 'hitNoDaemon' | 'hitDaemon' | 'baseNoDaemon' | 'baseDaemon' | 'baseVersion', Measured>;
}

/** `nx run X:template` with and without the daemon, cache miss and hit, against Nx running a no-op target. */
export async function nxRun(ctx: Context, baselineRoot: string): Promise<NxRunResult> {
  const chart = sampleChart(ctx);
  const root = ctx.ws.root;
  const off = cleanEnv(ctx.helm, false);
  const on = cleanEnv(ctx.helm, true);
  const target = `${chart.name}:template`;
  // Warm-up: fills the cache for the hit variants and starts both daemons.
  await nx(root, ['run', target], off);
  await nx(root, ['run', target], on);
  await nx(baselineRoot, ['run', 'base:noop'], on);
  try {
    const m = await interleave(ctx.runs, {
      missNoDaemon: { run: () => nx(root, ['run', target, '--skip-nx-cache'], off) },
      missDaemon: { run: () => nx(root, ['run', target, '--skip-nx-cache'], on) },
      hitNoDaemon: { run: () => nx(root, ['run', target], off) },
      hitDaemon: { run: () => nx(root, ['run', target], on) },
      baseNoDaemon: { run: () => nx(baselineRoot, ['run', 'base:noop'], off) },
      baseDaemon: { run: () => nx(baselineRoot, ['run', 'base:noop'], on) },
      baseVersion: { run: () => nx(baselineRoot, ['--version'], off) },
    });
    return { chart: chart.name, variants: m };
  } finally {
    await stopDaemon(root, on);
    await stopDaemon(baselineRoot, on);
  }
}

/** A bash loop over every chart, one after the other: what a Makefile or CI script without Nx would do. */
function serialLoopScript(ctx: Context): string {
  const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  const lines = ['set -e', 'secrets=$(cat)'];
  for (const chart of ctx.ws.charts) {
    const args = rawTemplateArgs(chart).map(quote).join(' ');
    lines.push(
      `cd ${quote(path.join(ctx.ws.root, chart.dir))}`,
      `"$HELM_BIN" dependency build --skip-refresh . >/dev/null`,
      `printf '%s\\n' "$secrets" | "$HELM_BIN" ${args} >/dev/null`,
    );
  }
  return lines.join('\n');
}

export interface RunManyResult {
  target: string;
  tasks: number;
  cold: Measured;
  warm: Measured;
  loop: Measured;
}

/**
 * `nx run-many -t <target>` from a fresh clone (Nx cache and workspace data reset, no packaged dependencies, none of
 * our caches) and warm (everything a cache hit), against the serial loop of raw helm from the same fresh state.
 */
export async function runMany(ctx: Context, target: string, runs: number): Promise<RunManyResult> {
  const root = ctx.ws.root;
  const env = cleanEnv(ctx.helm, false);
  const script = serialLoopScript(ctx);
  const fresh = async () => {
    await nx(root, ['reset'], env);
    removeBuiltDependencies(ctx);
    removeToolCaches(ctx);
  };
  const m = await interleave(runs, {
    cold: { setup: fresh, run: () => nx(root, ['run-many', '-t', target, '--outputStyle', 'static'], env) },
    warm: { run: () => nx(root, ['run-many', '-t', target, '--outputStyle', 'static'], env) },
    loop: { setup: () => removeBuiltDependencies(ctx), run: () => run('bash', ['-c', script], { cwd: root, env, input: ctx.plaintext }) },
  });
  return { target, tasks: ctx.ws.charts.length, ...m };
}

export interface InferenceResult {
  /** nx reset, none of our caches either. */
  cold: Measured;
  /** nx reset, our resolution cache kept. */
  resolutionCached: Measured;
  /** The same workspace with `plugins: []` in nx.json, after nx reset: what Nx costs without our plugin. */
  noPlugin: Measured;
  projects: number;
}

/** Project inference: `nx show projects`, daemon off, Nx's cache and workspace data reset before each run. */
export async function inference(ctx: Context, runs: number): Promise<InferenceResult> {
  const root = ctx.ws.root;
  const env = cleanEnv(ctx.helm, false);
  const nxJson = path.join(root, 'nx.json');
  const withPlugin = readFileSync(nxJson, 'utf8');
  const withoutPlugin = `${JSON.stringify({ ...JSON.parse(withPlugin), plugins: [] }, null, 2)}\n`;
  const reset = (config: string) => (writeFileSync(nxJson, config), nx(root, ['reset'], env).then(() => undefined));
  const show = () => nx(root, ['show', 'projects', '--json'], env, true);
  const projects = (JSON.parse((await show()).stdout) as string[]).length;
  try {
    const m = await interleave(runs, {
      cold: { setup: async () => (await reset(withPlugin), removeToolCaches(ctx)), run: show },
      resolutionCached: { setup: async () => (await reset(withPlugin), await show(), await reset(withPlugin)), run: show },
      noPlugin: { setup: () => reset(withoutPlugin), run: show },
    });
    return { ...m, projects };
  } finally {
    writeFileSync(nxJson, withPlugin);
  }
}

export interface DiffMemoryResult {
  lines: number;
  /** Peak resident memory of a node process that diffs, and of the same process that only builds the text. */
  rssMiB: { diff: number; without: number };
  diff: Measured;
  without: Measured;
}

/** Memory of the line diff for an added resource of `lines` lines (CRDs are rendered by default). */
export async function diffMemory(lines: number, runs: number): Promise<DiffMemoryResult> {
  const module = pathToFileURL(path.join(repoRoot, 'tools', 'homelab', 'src', 'core', 'exec', 'line-diff.ts')).href;
  const script = (diff: boolean) =>
    [
      `const { unifiedDiff } = await import(${JSON.stringify(module)});`,
      `const text = Array.from({ length: ${lines} }, (_, i) => \`      field\${i}: {type: string, description: value \${i}}\`).join('\\n') + '\\n';`,
      diff ? `if (!unifiedDiff('', text, { from: '/dev/null', to: 'b/crd' }).includes('@@ -0,0 +1,${lines} @@')) process.exit(1);` : '',
      'process.stdout.write(String(process.resourceUsage().maxRSS));',
    ].join('\n');
  const rss: Record<'diff' | 'without', number[]> = { diff: [], without: [] };
  const measure = (key: 'diff' | 'without') => async () => {
    const out = await run(process.execPath, ['--input-type=module', '-e', script(key === 'diff')], { cwd: repoRoot, env: process.env, capture: true });
    rss[key].push(Number(out.stdout) / 1024);
    return out;
  };
  const m = await interleave(runs, { diff: { run: measure('diff') }, without: { run: measure('without') } });
  return { lines, rssMiB: { diff: stats(rss.diff).median, without: stats(rss.without).median }, ...m };
}

export interface AffectedCase {
  change: string;
  truth: string[];
  selected: string[];
  ms: number;
}

/**
 * `nx show projects --affected -t render` on three commits whose effect is known by construction: one chart's
 * values, one group's shared value file (every chart of the group renders differently), one secret of one chart
 * (only that chart's render changes; Nx sees secrets.yaml, read by every chart).
 */
export async function affectedAtScale(ctx: Context): Promise<{ cases: AffectedCase[]; time: Stats }> {
  const { ws } = ctx;
  const env = cleanEnv(ctx.helm, false);
  const commit = (message: string) => {
    ws.git('add', '--all');
    ws.git('commit', '--quiet', '-m', message);
  };
  const charts = ws.charts;
  const grouped = charts.filter((c) => c.valueFiles.some((v) => v.path.includes('/group-')));
  const groupFile = grouped[0].valueFiles.find((v) => v.path.includes('/group-'))!.path.replace('../../', '');
  const secretChart = charts.filter((c) => c.readsSecrets).at(-1)!;
  const valuesChart = charts[Math.floor(charts.length / 2)];
  const changes: { change: string; truth: string[]; apply: () => Promise<void> | void }[] = [
    {
      change: `values.yaml of ${valuesChart.name}`,
      truth: [valuesChart.name],
      apply: () => appendFile(ws.root, `${valuesChart.dir}/values.yaml`, 'podLabels:\n  bench/revision: "1"\n', 'app'),
    },
    {
      change: `shared ${groupFile}`,
      truth: grouped.filter((c) => c.valueFiles.some((v) => v.path.endsWith(path.basename(groupFile)))).map((c) => c.name),
      apply: () => appendFile(ws.root, groupFile, '  replicas: 2\n'),
    },
    {
      change: `one secret of ${secretChart.name} (secrets.yaml)`,
      truth: [secretChart.name],
      apply: async () => {
        await editFile(path.join(ws.root, 'secrets.yaml'), (doc) => doc.set([secretChart.secretKey!, 'password'], 'rotated-bench-password'), {
          workspaceRoot: ws.root,
          env: {},
        });
      },
    },
  ];
  const cases: AffectedCase[] = [];
  for (const c of changes) {
    await c.apply();
    commit(c.change);
    await nx(ws.root, ['reset'], env);
    const out = await nx(ws.root, ['show', 'projects', '--affected', '-t', 'render', '--base', 'HEAD~1', '--head', 'HEAD', '--json'], env, true);
    cases.push({ change: c.change, truth: c.truth.sort(), selected: (JSON.parse(out.stdout) as string[]).sort(), ms: out.wallMs });
  }
  return { cases, time: stats(cases.map((c) => c.ms)) };
}

/** Appends text to a YAML file, or inserts it (indented) right under one of its top-level keys. */
function appendFile(root: string, file: string, text: string, underKey?: string): void {
  const abs = path.join(root, file);
  const current = readFileSync(abs, 'utf8');
  const next = underKey ? current.replace(`${underKey}:\n`, `${underKey}:\n${text.replace(/^(?=.)/gm, '  ')}`) : current + text;
  writeFileSync(abs, next);
}
