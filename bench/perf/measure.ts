// Timing primitives: run a real process to completion and report its wall time and the CPU time of its whole
// process tree (children it waited for included), read from /proc. CPU time says how much work was done; wall time
// what a user waits — on a busy machine the two diverge, so both are kept.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';

export interface Timing {
  wallMs: number;
  /** user+sys of every waited-for descendant; NaN where /proc is unavailable. */
  cpuMs: number;
}

export interface Stats {
  median: number;
  min: number;
  max: number;
  runs: number;
}

/** Clock ticks of CPU time of this process's waited-for children (fields 16-17 of /proc/self/stat). */
function childCpuMs(): number {
  try {
    const fields = readFileSync('/proc/self/stat', 'utf8')
      .replace(/^.*\) /, '')
      .split(' ');
    // After the command name: state is field 3, so cutime (16) and cstime (17) sit at 13 and 14.
    return (Number(fields[13]) + Number(fields[14])) * 10;
  } catch {
    return Number.NaN;
  }
}

export interface RunOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Written to the child's stdin (decrypted secrets for raw helm: a pipe, never a file). */
  input?: Buffer;
  /** Capture stdout instead of discarding it. */
  capture?: boolean;
}

export interface RunOutput extends Timing {
  stdout: string;
}

/** Runs a command to completion; a non-zero exit is an error carrying the tail of stderr. */
export function run(command: string, args: string[], options: RunOptions): Promise<RunOutput> {
  return new Promise((resolve, reject) => {
    const cpu0 = childCpuMs();
    const start = performance.now();
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env,
      stdio: [options.input ? 'pipe' : 'ignore', options.capture ? 'pipe' : 'ignore', 'pipe'],
    });
    const out: Buffer[] = [];
    let err = '';
    child.stdout?.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr!.on('data', (chunk: Buffer) => {
      err = (err + chunk.toString('utf8')).slice(-4000);
    });
    if (options.input) {
      child.stdin!.on('error', () => {});
      child.stdin!.end(options.input);
    }
    child.on('error', reject);
    child.on('close', (code) => {
      const wallMs = performance.now() - start;
      const cpuMs = childCpuMs() - cpu0;
      if (code !== 0) {
        reject(new Error(`${path.basename(command)} ${args.slice(0, 4).join(' ')} exited ${code}: ${err.trim().split('\n').slice(-5).join(' | ')}`));
        return;
      }
      resolve({ wallMs, cpuMs, stdout: Buffer.concat(out).toString('utf8') });
    });
  });
}

export function stats(values: number[]): Stats {
  const sorted = [...values].filter((v) => !Number.isNaN(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return { median: Number.NaN, min: Number.NaN, max: Number.NaN, runs: 0 };
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  return { median, min: sorted[0], max: sorted.at(-1)!, runs: sorted.length };
}

export interface Measured {
  wall: Stats;
  cpu: Stats;
  /** Every run in order: run i of each variant of one `interleave` was measured back to back (a pair). */
  samples: Timing[];
}

/** Median over the pairs (run i of `a` and run i of `b`, measured back to back) of a's CPU time over b's. */
export function pairedCpuRatio(a: Measured, b: Measured): number {
  const ratios = a.samples.map((t, i) => t.cpuMs / b.samples[i].cpuMs).filter((r) => Number.isFinite(r));
  return stats(ratios).median;
}

/**
 * Several variants measured round-robin (A B C, A B C, …) so that load from elsewhere on the machine spreads
 * evenly over them instead of favouring whichever ran in a quiet moment. `setup` runs untimed before each run.
 */
export async function interleave<K extends string>(
  runs: number,
  variants: Record<K, { setup?: () => Promise<void> | void; run: () => Promise<Timing> }>,
): Promise<Record<K, Measured>> {
  const samples = Object.fromEntries(Object.keys(variants).map((k) => [k, [] as Timing[]])) as Record<K, Timing[]>;
  for (let i = 0; i < runs; i += 1) {
    for (const key of Object.keys(variants) as K[]) {
      await variants[key].setup?.();
      samples[key].push(await variants[key].run());
    }
  }
  return Object.fromEntries(
    (Object.keys(variants) as K[]).map((k) => [
      k,
      { wall: stats(samples[k].map((t) => t.wallMs)), cpu: stats(samples[k].map((t) => t.cpuMs)), samples: samples[k] },
    ]),
  ) as Record<K, Measured>;
}

/** Adds timings of consecutive steps into one (a raw sequence of tools). */
export async function sequence(steps: (() => Promise<Timing>)[]): Promise<Timing> {
  const total = { wallMs: 0, cpuMs: 0 };
  for (const step of steps) {
    const t = await step();
    total.wallMs += t.wallMs;
    total.cpuMs += t.cpuMs;
  }
  return total;
}
