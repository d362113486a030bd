// One command over many releases, one release at a time in the order given (wave order): a failure is recorded and
// the next release still runs, unless fail-fast; a listr2 progress view on a terminal, plain lines elsewhere (CI,
// pipes, logs), where each release's output is exactly what the command prints for that release alone.
import { errorLine, HomelabError } from '../model/errors.ts';
import type { Release } from '../model/types.ts';
import type { Write } from './cluster.ts';

/** progress: the listr2 view; plain: a `== [i/n]` line before each release's output; quiet: the outputs only. */
export type View = 'progress' | 'plain' | 'quiet';

/** The listr2 view needs a terminal with a width (a pseudo-terminal reporting none wraps every character); not in CI. */
export function defaultView(): View {
  const ci = process.env.CI !== undefined && process.env.CI !== '' && process.env.CI !== 'false';
  return process.stdout.isTTY && (process.stdout.columns ?? 0) > 0 && !ci ? 'progress' : 'plain';
}

export interface ManyOptions {
  /** The command's verb, for titles: `diff home/monitoring (wave 10)`. */
  action: string;
  view: View;
  /** Stop at the first failure; the rest are skipped. */
  failFast?: boolean;
  /** Lines of a release's output the progress view keeps under it; default all (a diff's output is the answer). */
  outputLines?: number;
  write: Write;
}

export interface Failure {
  release: Release;
  error: unknown;
}

export interface ManyResult {
  /** The highest exit code: a release's own (diff's 1 for drift) or a failure's. */
  exitCode: number;
  failures: Failure[];
  /** Not run: under fail-fast after a failure, or after a signal. */
  skipped: Release[];
}

/** `diff home/monitoring (wave 10)`. */
export function releaseTitle(action: string, release: Release): string {
  return `${action} ${release.cluster}/${release.name} (wave ${release.wave})`;
}

/**
 * Runs `run` for each release in order. A failure (a thrown error) is kept and the next release runs; fail-fast, or
 * a signal (exit code 128+: Ctrl-C during an install), stops: what is left is skipped.
 */
export async function runMany(releases: Release[], run: (release: Release, write: Write) => Promise<number | void>, options: ManyOptions): Promise<ManyResult> {
  const result: ManyResult = { exitCode: 0, failures: [], skipped: [] };
  let stopped = false;
  const one = async (release: Release, write: Write): Promise<void> => {
    try {
      result.exitCode = Math.max(result.exitCode, (await run(release, write)) ?? 0);
    } catch (error) {
      const exitCode = error instanceof HomelabError ? error.exitCode : 1;
      result.failures.push({ release, error });
      result.exitCode = Math.max(result.exitCode, exitCode);
      stopped ||= Boolean(options.failFast) || exitCode >= 128;
      throw error;
    }
  };
  const { action, write } = options;
  if (options.view === 'progress') {
    // Loaded for this view alone: plain and quiet runs (CI, pipes, one release) do not pay for listr2 at start-up.
    const { Listr } = await import('listr2');
    await new Listr(
      releases.map((release) => ({
        title: releaseTitle(action, release),
        task: async (_ctx: unknown, task: { output: string; skip(message: string): void }) => {
          if (stopped) {
            result.skipped.push(release);
            return task.skip(`${releaseTitle(action, release)}: skipped`);
          }
          await one(release, (text) => (task.output = text.trimEnd())).catch((error: unknown) => {
            throw new Error(`${releaseTitle(action, release)}: ${errorLine(error)}`);
          });
        },
        rendererOptions: { outputBar: options.outputLines ?? Number.POSITIVE_INFINITY, persistentOutput: true },
      })),
      { exitOnError: false, renderer: 'default', fallbackRenderer: 'simple' },
    ).run();
    return result;
  }
  for (const [index, release] of releases.entries()) {
    if (stopped) {
      result.skipped.push(release);
      continue;
    }
    if (options.view === 'plain') write(`== [${index + 1}/${releases.length}] ${releaseTitle(action, release)}\n`);
    await one(release, write).catch((error: unknown) => {
      if (options.view === 'plain') write(`== failed: ${releaseTitle(action, release)}: ${errorLine(error)}\n`);
    });
  }
  if (options.view === 'plain') {
    const done = releases.length - result.failures.length - result.skipped.length;
    write(`== ${action}: ${releases.length} releases, ${done} done, ${result.failures.length} failed, ${result.skipped.length} skipped\n`);
  }
  return result;
}

/** One line per failure and per skipped release (`✖ diff home/x: …`), for stderr after the run. */
export function summaryLines(action: string, result: ManyResult): string[] {
  return [
    ...result.failures.map(({ release, error }) => `✖ ${releaseTitle(action, release)}: ${errorLine(error)}`),
    ...result.skipped.map((release) => `- ${releaseTitle(action, release)}: not run (an earlier release failed)`),
  ];
}
