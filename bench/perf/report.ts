// Markdown for bench/results.md and the terminal: the machine, then one table per question, each target checked.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pairedCpuRatio, type Measured, type Stats } from './measure.ts';
import type { AffectedCase, DiffMemoryResult, ExampleResult, HackResult, InferenceResult, NxRunResult, RunManyResult } from './scenarios.ts';
import { repoRoot } from './workspace.ts';

export interface SizeResult {
  n: number;
  /** Load average (1/5/15 min) when this size started. */
  load: number[];
  hack?: HackResult;
  nxRun?: NxRunResult;
  runMany: RunManyResult[];
  inference?: InferenceResult;
  affected?: { cases: AffectedCase[]; time: Stats };
}

export interface Machine {
  cpus: number;
  model: string;
  memoryGiB: number;
  node: string;
  helm: string;
  nx: string;
  load: { start: number[]; end?: number[] };
}

export function describeMachine(helmBin: string): Machine {
  const model = /^model name\s*:\s*(.*)$/m.exec(safeRead('/proc/cpuinfo'))?.[1] ?? os.cpus()[0]?.model ?? 'unknown';
  const helm = execFileSync(helmBin, ['version', '--template', '{{.Version}}']).toString().trim();
  const nx = (JSON.parse(readFileSync(path.join(repoRoot, 'node_modules', 'nx', 'package.json'), 'utf8')) as { version: string }).version;
  return {
    cpus: os.availableParallelism(),
    model,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    helm,
    nx,
    load: { start: os.loadavg() },
  };
}

function safeRead(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

const s = (ms: number) => (Number.isNaN(ms) ? '-' : `${(ms / 1000).toFixed(2)}`);
const wall = (m: Measured) => `${s(m.wall.median)} s (${s(m.wall.min)}–${s(m.wall.max)})`;
const cpu = (m: Measured) => `${s(m.cpu.median)} s`;
const ratio = (a: number, b: number) => (b > 0 ? `${(a / b).toFixed(2)}×` : '-');
const check = (ok: boolean) => (ok ? '✅' : '❌');
const pairedRatio = (a: Measured, b: Measured) => ratio(pairedCpuRatio(a, b), 1);
/** (node + raw) / raw, run by run: the CPU a Node-based tool costs before it does anything, over raw. */
const floorRatio = (node: Measured, raw: Measured) =>
  ratio(pairedCpuRatio({ ...node, samples: node.samples.map((t, i) => ({ ...t, cpuMs: t.cpuMs + raw.samples[i].cpuMs })) }, raw), 1);
/** A row's target and whether it holds; `none` where the table's question has no target at this size. */
const target = (text: string, ok?: boolean) => (ok === undefined ? 'none' : `${text} ${check(ok)}`);

/** Targets: P1 ≤ 2.0× raw helm, cached nx run ≤ 1.3× Nx's noop floor, inference ≤ 1.2× no plugin at 30 and ≤ 2 s at 1000. */
const P1 = 2.0;
const NX_RUN = 1.3;
const INFERENCE_30 = 1.2;
const INFERENCE_1000_MS = 2000;
const DIFF_EXTRA_MIB = 100;

/** Options of the whole report besides the per-size results. */
export interface ReportExtras {
  runs: number;
  command: string;
  affectedBench?: string;
  example?: ExampleResult;
  diff?: DiffMemoryResult;
}

export function renderReport(machine: Machine, results: SizeResult[], options: ReportExtras): string {
  const out: string[] = [];
  const load = (l: number[]) => l.map((x) => x.toFixed(2)).join(' ');
  out.push(
    '# Benchmark results',
    '',
    `Command: \`${options.command}\` — wall time median (min–max) over the runs shown, and the median CPU time (user+sys of the whole process tree).`,
    '',
    `Machine: ${machine.cpus} CPUs (${machine.model}), ${machine.memoryGiB} GiB RAM; node ${machine.node}, helm ${machine.helm}, nx ${machine.nx}.`,
    `Load average (1/5/15 min): ${load(machine.load.start)} at the start, ${machine.load.end ? load(machine.load.end) : '?'} at the end` +
      ' (other work on the machine stretches wall times; the variants of each table were measured round-robin, so ratios stay comparable).',
    `Load average at the start of each size: ${results.map((r) => `N = ${r.n}: ${load(r.load)}`).join('; ') || '-'}.`,
    'Ratios marked "paired" are the median over runs of one variant\'s CPU time over the other\'s measured right after it.',
    '',
  );

  if (options.example) {
    const e = options.example;
    out.push(
      "## P1: hack/template home/monitoring vs raw helm (this repository's example)",
      '',
      'Raw: the `helm template` a person types from clusters/home/apps/monitoring.yaml, secrets.yaml decrypted once up front and',
      `piped on stdin; dependencies built. Target: CPU time ≤ ${P1.toFixed(1)}× raw, paired. Floor: \`node -e ''\` plus the same raw`,
      'helm, over raw helm (paired): what any tool starting Node per call costs before doing anything. Launcher: the same raw',
      'helm spawned by seven lines of Node that pipe the values to it and write its output, over raw helm (paired): what any',
      'Node tool running helm costs before resolving, decrypting or masking anything.',
      '',
      "| chart | hack/template | raw helm | node -e '' | launcher | cpu hack / raw | cpu ratio (paired) | floor (paired) | launcher (paired) | target |",
      '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
      `| ${e.chart} | ${wall(e.hack)} | ${wall(e.raw)} | ${wall(e.node)} | ${wall(e.launcher)} | ${cpu(e.hack)} / ${cpu(e.raw)} | ${pairedRatio(e.hack, e.raw)} | ${floorRatio(e.node, e.raw)} | ${pairedRatio(e.launcher, e.raw)} | ${target(`≤ ${P1.toFixed(1)}×`, pairedCpuRatio(e.hack, e.raw) <= P1)} |`,
      '',
    );
  }

  const hack = results.filter((r) => r.hack);
  if (hack.length) {
    out.push(
      '## hack/template X vs raw helm',
      '',
      "Raw: `helm template` with the Application's flags and value files, secrets.yaml decrypted once up front and piped on stdin;",
      `from a fresh clone it needs \`helm dependency build\` first, as hack/template does. Target (P1, deps built): CPU time ≤ ${P1.toFixed(1)}× raw, paired.`,
      '',
      '| N | chart | state | hack/template | raw helm | ratio | cpu hack / raw | cpu ratio (paired) | target | output identical |',
      '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    );
    for (const r of hack) {
      const h = r.hack!;
      for (const [state, pair] of [
        ['deps built', h.built],
        ['fresh clone', h.fresh],
      ] as const) {
        out.push(
          `| ${r.n} | ${h.chart} | ${state} | ${wall(pair.hack)} | ${wall(pair.raw)} | ${ratio(pair.hack.wall.median, pair.raw.wall.median)} | ${cpu(pair.hack)} / ${cpu(pair.raw)} | ${pairedRatio(pair.hack, pair.raw)} | ${target(`≤ ${P1.toFixed(1)}×`, state === 'deps built' ? pairedCpuRatio(pair.hack, pair.raw) <= P1 : undefined)} | ${h.identical ? 'yes' : 'NO'} |`,
        );
      }
    }
    out.push('');
  }

  const nxRuns = results.filter((r) => r.nxRun);
  if (nxRuns.length) {
    out.push(
      '## nx run X:template',
      '',
      'Cache miss = `--skip-nx-cache` (its helm-deps dependency runs too). Baseline: Nx with `plugins: []` running the built-in',
      '`nx:noop` executor in an empty workspace, and `nx --version`. Daemon runs start from a warm daemon.',
      `Target: a cache hit with the daemon off costs ≤ ${NX_RUN}× the noop floor with the daemon off (CPU time, paired).`,
      '',
      '| N | chart | miss, no daemon | miss, daemon | hit, no daemon | hit, daemon | baseline noop, no daemon | baseline noop, daemon | nx --version | cpu hit / noop, no daemon (paired) | target |',
      '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    );
    for (const r of nxRuns) {
      const v = r.nxRun!.variants;
      out.push(
        `| ${r.n} | ${r.nxRun!.chart} | ${wall(v.missNoDaemon)} | ${wall(v.missDaemon)} | ${wall(v.hitNoDaemon)} | ${wall(v.hitDaemon)} | ${wall(v.baseNoDaemon)} | ${wall(v.baseDaemon)} | ${wall(v.baseVersion)} | ${pairedRatio(v.hitNoDaemon, v.baseNoDaemon)} | ${target(`≤ ${NX_RUN}×`, pairedCpuRatio(v.hitNoDaemon, v.baseNoDaemon) <= NX_RUN)} |`,
      );
    }
    out.push('');
  }

  const many = results.filter((r) => r.runMany.length);
  if (many.length) {
    out.push(
      '## nx run-many vs a serial loop of raw helm',
      '',
      'Cold: a fresh clone (`nx reset`, no packaged dependencies, none of our caches), daemon off as in CI. Warm: the same',
      'command again, every task a cache hit. Loop: bash running `helm dependency build` and `helm template` (secrets on',
      'stdin) chart after chart from the same fresh state. Targets at N = 100: cold ≤ 0.6× the loop, warm ≤ 2 s.',
      '',
      '| N | target | cold | warm | serial raw loop | cold / loop | cpu cold / loop | targets |',
      '| --- | --- | --- | --- | --- | --- | --- | --- |',
    );
    for (const r of many) {
      for (const m of r.runMany) {
        const targets =
          r.n === 100
            ? `cold ≤ 0.6× loop ${check(m.cold.wall.median <= 0.6 * m.loop.wall.median)}, warm ≤ 2 s ${check(m.warm.wall.median <= 2000)}`
            : target('');
        out.push(
          `| ${r.n} | ${m.target} | ${wall(m.cold)} | ${wall(m.warm)} | ${wall(m.loop)} | ${ratio(m.cold.wall.median, m.loop.wall.median)} | ${cpu(m.cold)} / ${cpu(m.loop)} | ${targets} |`,
        );
      }
    }
    out.push('');
  }

  const inf = results.filter((r) => r.inference);
  if (inf.length) {
    out.push(
      '## Project inference (`nx show projects`, daemon off, after `nx reset`)',
      '',
      `No plugin: the same workspace with \`plugins: []\`. Targets: at N = 30 cold ≤ ${INFERENCE_30}× no plugin (CPU time, paired); at N = 1000`,
      `cold ≤ ${s(INFERENCE_1000_MS)} s.`,
      '',
      '| N | projects | cold (no caches at all) | our resolution cache kept | no plugin | cpu cold / no plugin (paired) | target |',
      '| --- | --- | --- | --- | --- | --- | --- |',
    );
    for (const r of inf) {
      const i = r.inference!;
      const goal =
        r.n === 30
          ? target(`≤ ${INFERENCE_30}× no plugin`, pairedCpuRatio(i.cold, i.noPlugin) <= INFERENCE_30)
          : r.n === 1000
            ? target(`≤ ${s(INFERENCE_1000_MS)} s`, i.cold.wall.median <= INFERENCE_1000_MS)
            : target('');
      out.push(
        `| ${r.n} | ${i.projects} | ${wall(i.cold)} | ${wall(i.resolutionCached)} | ${wall(i.noPlugin)} | ${pairedRatio(i.cold, i.noPlugin)} | ${goal} |`,
      );
    }
    out.push('');
  }

  const aff = results.filter((r) => r.affected);
  if (aff.length) {
    out.push(
      '## nx affected at scale',
      '',
      '`nx show projects --affected -t render` after one commit each (daemon off, after `nx reset`); the truth is known by',
      'construction: the charts whose render the change alters.',
      '',
      '| N | change | charts changed | Nx selected | precision | recall | time | target |',
      '| --- | --- | --- | --- | --- | --- | --- | --- |',
    );
    for (const r of aff) {
      for (const c of r.affected!.cases) {
        const truth = new Set(c.truth);
        const tp = c.selected.filter((p) => truth.has(p)).length;
        const precision = c.selected.length ? `${((100 * tp) / c.selected.length).toFixed(0)}%` : '-';
        const recall = truth.size ? `${((100 * tp) / truth.size).toFixed(0)}%` : '-';
        out.push(
          `| ${r.n} | ${c.change} | ${c.truth.length} | ${c.selected.length} | ${precision} | ${recall} | ${s(c.ms)} s | ${target('recall 100%', tp === truth.size)} |`,
        );
      }
    }
    out.push('');
  }

  if (options.diff) {
    const d = options.diff;
    const extra = d.rssMiB.diff - d.rssMiB.without;
    out.push(
      '## Line diff memory (an added resource, as a CRD renders)',
      '',
      'Peak resident memory of a node process that builds the text and diffs it against nothing, and of the same process',
      `that only builds the text; the difference is the diff's. Target: ≤ ${DIFF_EXTRA_MIB} MiB (the hand-written diff it replaced needed 833 MB).`,
      '',
      "| lines | peak RSS, diff | peak RSS, without | diff's memory | cpu diff / without | target |",
      '| --- | --- | --- | --- | --- | --- |',
      `| ${d.lines} | ${d.rssMiB.diff.toFixed(0)} MiB | ${d.rssMiB.without.toFixed(0)} MiB | ${extra.toFixed(0)} MiB | ${cpu(d.diff)} / ${cpu(d.without)} | ${target(`≤ ${DIFF_EXTRA_MIB} MiB`, extra <= DIFF_EXTRA_MIB)} |`,
      '',
    );
  }

  if (options.affectedBench) {
    out.push('## Affected precision/recall on a synthetic history (`npm run bench -- affected`)', '', options.affectedBench.trim(), '');
  }
  return `${out.join('\n')}\n`;
}
