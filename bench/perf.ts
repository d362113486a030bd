// Performance benchmark (`npm run bench`, the default of bench/run.ts): generated workspaces of N charts, our commands
// against the raw helm equivalents and Nx's own floor, written to bench/results.md.
//
//   npm run bench [-- --sizes 30,100] [--quick | --full] [--runs 5] [--affected-commits 20] [--keep] [--out bench/results.md]
//
// Default: N = 30, 100, 300, 1000; run-many only up to N = 100 (--full: at every N). --quick: N = 30, 100, fewer runs.
// --affected-commits: length of the synthetic history of bench/affected.ts (0 skips it).
// --only hack,nx-run,run-many,inference,affected: just those scenarios.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { resolveHelm } from '../tools/homelab/src/core/helm/helm.ts';
import { createBaselineWorkspace } from './perf/env.ts';
import { describeMachine, renderReport, type SizeResult } from './perf/report.ts';
import { affectedAtScale, createContext, hackVsRaw, inference, nxRun, runMany } from './perf/scenarios.ts';
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
      out: { type: 'string', default: path.join(repoRoot, 'bench', 'results.md') },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(
      'usage: npm run bench [-- --sizes 30,100] [--quick | --full] [--runs N] [--affected-commits N] [--only hack,nx-run,run-many,inference,affected] [--keep] [--out FILE]\n       npm run bench -- <name> [options]   (other benchmarks: affected)\n',
    );
    return;
  }
  const quick = values.quick ?? false;
  const sizes = (values.sizes ?? (quick ? '30,100' : '30,100,300,1000')).split(',').map(Number);
  if (sizes.some((n) => !Number.isInteger(n) || n < 3)) throw new Error(`--sizes takes whole numbers ≥ 3, got ${values.sizes}`);
  const runs = Number(values.runs ?? (quick ? 3 : 5));
  // Whole-workspace runs are the expensive part: fewer rounds, and only up to N = 100 unless --full.
  const manyRuns = quick ? 1 : Math.max(1, Math.min(runs, 3));
  const manyMax = values.full ? Infinity : 100;
  const scenarios = new Set((values.only ?? 'hack,nx-run,run-many,inference,affected').split(','));
  const wanted = (name: string) => scenarios.has(name);

  const helm = (await resolveHelm()).bin;
  const machine = describeMachine(helm);
  log(`machine: ${machine.cpus} CPUs, load ${machine.load.start.map((l) => l.toFixed(1)).join(' ')}; sizes ${sizes.join(', ')}; ${runs} runs`);
  const baseline = createBaselineWorkspace();
  const results: SizeResult[] = [];
  try {
    for (const n of sizes) {
      log(`N = ${n}: generating`);
      const ws = await generateWorkspace(n);
      try {
        const ctx = await createContext(ws, helm, runs);
        const result: SizeResult = { n, runMany: [] };
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
          result.inference = await inference(ctx, Math.max(2, Math.min(runs, 3)));
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
  const report = renderReport(machine, results, { runs, command, affectedBench });
  writeFileSync(values.out, report);
  process.stdout.write(report);
  log(`written to ${path.relative(process.cwd(), values.out) || values.out}`);
}
