import { parseCommand } from './configurations.ts';

/**
 * Environment for the run, from the typed Nx command line. Our rendering executors prefer batches (one process for
 * many charts), but Nx 24 prints a batch of one task with its heading twice when the output is not a terminal. A
 * command naming one task (`nx run monitoring:template`) gains nothing from a batch, so it runs unbatched, unless the
 * user chose with `--batch` or NX_BATCH_MODE. `run-many` and `affected` keep their batches.
 */
export function batchingEnv(argv: string[], env: NodeJS.ProcessEnv = process.env): Record<string, string> | undefined {
  const args = argv.slice(2);
  const end = args.indexOf('--');
  const own = end < 0 ? args : args.slice(0, end);
  if (env.NX_BATCH_MODE !== undefined || own.some((a) => a === '--batch' || a.startsWith('--batch=') || a === '--no-batch')) return undefined;
  return parseCommand(args)?.kind === 'one' ? { NX_BATCH_MODE: 'false' } : undefined;
}
