// Performance benchmark (`npm run bench`, the default of bench/run.ts): generated workspaces of N charts, our commands
// against the raw helm equivalents and Nx's own floor, written to bench/results.md.
//
//   npm run bench [-- --sizes 30,100] [--quick | --full] [--runs 5] [--affected-commits 20] [--keep] [--out FILE]
//
// Default: N = 30, 100, 300, 1000; run-many only up to N = 100 (--full: at every N). --quick: N = 30, 100, fewer runs.
// --affected-commits: length of the synthetic history of bench/affected.ts (0 skips it).
// --only example,diff,hack,nx-run,run-many,inference,affected: just those scenarios.
// Only a complete run (none of --sizes, --quick, --runs, --affected-commits, --only) writes the committed
// bench/results.md; any other run writes to the temporary directory unless --out names another file.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { resolveHelm } from '../tools/homelab/src/core/helm/helm.ts';
import { createBaselineWorkspace } from './perf/env.ts';
import { describeMachine, renderReport, type ReportExtras, type SizeResult } from './perf/report.ts';
import { affectedAtScale, createContext, diffMemory, exampleHackVsRaw, hackVsRaw, inference, nxRun, runMany } from './perf/scenarios.ts';
import { generateWorkspace, repoRoot } from './perf/workspace.ts';

const log = (line: string) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`);

export default async function main(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      sizes: { type: 'string' },
      quick: { type: 'boolean' },
      full: { type: 'boolean' },
      runs: { type: 'string' },
      'affected-commits': { type: 'string' },
      only: { type: 'string' },
      keep: { type: 'boolean' },
      out: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(
      'usage: npm run bench [-- --sizes 30,100] [--quick | --full] [--runs N] [--affected-commits N] [--only example,diff,hack,nx-run,run-many,inference,affected] [--keep] [--out FILE]\n       npm run bench -- <name> [options]   (other benchmarks: affected)\n',
    );
    return;
  }
  // The committed results are a complete run's: a narrowed one would replace them with fewer, less certain figures.
  const committed = path.join(repoRoot, 'bench', 'results.md');
  const complete = [values.sizes, values.quick, values.runs, values['affected-commits'], values.only].every((v) => v === undefined);
  const out = path.resolve(values.out ?? (complete ? committed : path.join(os.tmpdir(), 'homelab-bench-results.md')));
  if (!complete && out === committed) {
    process.stderr.write(`${path.relative(process.cwd(), committed)} holds a complete run's figures: write this partial run elsewhere (--out FILE)\n`);
    process.exitCode = 1;
    return;
  }
  const quick = values.quick ?? false;
  const sizes = (values.sizes ?? (quick ? '30,100' : '30,100,300,1000')).split(',').map(Number);
  if (sizes.some((n) => !Number.isInteger(n) || n < 3)) throw new Error(`--sizes takes whole numbers ≥ 3, got ${values.sizes}`);
  const runs = Number(values.runs ?? (quick ? 3 : 5));
  // Whole-workspace runs are the expensive part: fewer rounds, and only up to N = 100 unless --full.
  const manyRuns = quick ? 1 : Math.max(1, Math.min(runs, 3));
  const manyMax = values.full ? Infinity : 100;
  const scenarios = new Set((values.only ?? 'example,diff,hack,nx-run,run-many,inference,affected').split(','));
  const wanted = (name: string) => scenarios.has(name);

  const helm = (await resolveHelm()).bin;
  const machine = describeMachine(helm);
  log(`machine: ${machine.cpus} CPUs, load ${machine.load.start.map((l) => l.toFixed(1)).join(' ')}; sizes ${sizes.join(', ')}; ${runs} runs`);
  const extras: Omit<ReportExtras, 'runs' | 'command'> = {};
  if (wanted('example')) {
    log('P1: hack/template home/monitoring vs raw helm on the example');
    extras.example = await exampleHackVsRaw(helm, runs);
  }
  if (wanted('diff')) {
    log('line diff memory, 10,000-line added resource');
    extras.diff = await diffMemory(10_000, Math.max(2, Math.min(runs, 3)));
  }
  const baseline = createBaselineWorkspace();
  const results: SizeResult[] = [];
  try {
    for (const n of sizes) {
      log(`N = ${n}: generating`);
      const ws = await generateWorkspace(n);
      try {
        const ctx = await createContext(ws, helm, runs);
        const result: SizeResult = { n, load: os.loadavg(), runMany: [] };
        results.push(result);
        if (wanted('hack')) {
          log(`N = ${n}: hack/template vs raw helm`);
          result.hack = await hackVsRaw(ctx);
        }
        if (wanted('nx-run')) {
          log(`N = ${n}: nx run`);
          result.nxRun = await nxRun(ctx, baseline.root);
        }
        if (wanted('run-many') && n <= manyMax) {
          for (const target of ['template', 'render']) {
            log(`N = ${n}: nx run-many -t ${target}`);
            result.runMany.push(await runMany(ctx, target, manyRuns));
          }
        }
        if (wanted('inference')) {
          log(`N = ${n}: inference`);
          // As many rounds as the other tables: with three, the N = 30 paired ratio crossed its target from run to run.
          result.inference = await inference(ctx, Math.max(2, runs));
        }
        if (wanted('affected')) {
          log(`N = ${n}: affected`);
          result.affected = await affectedAtScale(ctx);
        }
      } finally {
        if (values.keep) log(`kept ${ws.root}`);
        else ws.dispose();
      }
    }
  } finally {
    baseline.dispose();
  }

  const commits = wanted('affected') ? (values['affected-commits'] ?? (quick ? '6' : '20')) : '0';
  let affectedBench: string | undefined;
  if (commits !== '0') {
    log(`affected precision/recall on a synthetic history of ${commits} commits (bench/affected.ts)`);
    affectedBench = execFileSync(process.execPath, [path.join(repoRoot, 'bench', 'run.ts'), 'affected', '--commits', commits], {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'inherit'],
      maxBuffer: 16 << 20,
    }).toString('utf8');
  }

  machine.load.end = os.loadavg();
  const command = ['npm run bench', ...(args.length ? ['--', ...args] : [])].join(' ');
  const report = renderReport(machine, results, { runs, command, affectedBench, ...extras });
  writeFileSync(out, report);
  process.stdout.write(report);
  log(`written to ${path.relative(process.cwd(), out) || out}`);
}
