// The flags that choose many releases at once (several names, --all, --wave, --tier; --cluster is each command's
// own) and the end of such a run: one line per failure on stderr, the exit code.
import { defaultView, runMany, summaryLines, type ManyResult, type View } from '../core/commands/many.ts';
import { selectMany, TIERS, type Selection } from '../core/commands/select.ts';
import { chalk } from '../core/exec/terminal.ts';
import { HomelabError } from '../core/model/errors.ts';
import type { Release } from '../core/model/types.ts';
import type { Workspace } from '../core/resolve/workspace.ts';
import { oneOf } from './cluster-shell.ts';

export const selectionOptions = {
  all: { type: 'boolean' },
  wave: { type: 'string' },
  tier: { type: 'string' },
  'fail-fast': { type: 'boolean' },
} as const;

export const selectionHelp = `  --all                    every release (with --cluster: every release of that cluster)
  --wave <n>               only releases in this sync wave
  --tier <tier>            only releases of this tier: infrastructure (tier 0: waves <= 0 and the bootstrap chart),
                           platform (waves 1-19) or apps (waves >= 20)
  --fail-fast              stop at the first failing release (default: run the others, fail at the end)
  Several releases run one at a time in wave order: a progress view on a terminal, plain lines otherwise.`;

interface SelectionValues {
  all?: boolean;
  wave?: string;
  tier?: string;
  cluster?: string;
  namespace?: string;
}

export function selection(positionals: string[], values: SelectionValues): Selection {
  const { wave } = values;
  if (wave !== undefined && !/^-?\d+$/.test(wave)) throw new HomelabError(`--wave ${wave} is not a whole number`, 'e.g. --wave 20, or --wave=-1');
  return {
    targets: positionals,
    all: values.all,
    cluster: values.cluster,
    wave: wave === undefined ? undefined : Number(wave),
    tier: oneOf('tier', values.tier, TIERS),
    namespace: values.namespace,
  };
}

/**
 * Runs a command per selected release (`run` is the command's single-release path, given `<cluster>/<release>`),
 * prints one line per failure on stderr and returns the exit code.
 */
export async function runSelected(
  ws: Workspace,
  chosen: Selection,
  options: { action: string; failFast?: boolean; view?: View; outputLines?: number; reverse?: boolean; before?: (releases: Release[]) => Promise<void> },
  run: (release: Release, write: (text: string) => void) => Promise<number | void>,
): Promise<number> {
  const inWaveOrder = selectMany(ws, chosen);
  const releases = options.reverse ? inWaveOrder.reverse() : inWaveOrder;
  await options.before?.(releases);
  const view = options.view ?? defaultView();
  const write = (text: string) => void process.stdout.write(text);
  const result: ManyResult = await runMany(releases, run, { ...options, view, write });
  for (const line of summaryLines(options.action, result)) process.stderr.write(chalk.red(`${line}\n`));
  return result.exitCode;
}
