// Shell completion of the homelab bin and this repository's hack/ launchers: `homelab completion bash|zsh|fish` prints
// a script that asks the bin itself (`homelab __complete <words>`) for candidates, so the command table, each
// command's options and usage, and the workspace's releases are the one source: nothing is listed twice.
import { OUTPUT_FORMATS } from '../core/commands/data-output.ts';
import { TIERS } from '../core/commands/select.ts';
import { HomelabError } from '../core/model/errors.ts';
import { resolveWorkspace } from '../core/resolve/workspace.ts';
import { readLayoutFromNxJson } from '../core/workspace/layout.ts';
import { COMMANDS } from './commands.ts';

export const SHELLS = ['bash', 'zsh', 'fish'];

/** The values an option takes from a fixed list. */
const OPTION_WORDS: Record<string, readonly string[]> = { tier: TIERS, output: OUTPUT_FORMATS, wait: ['watcher', 'legacy'] };

/** How the script starts the bin: this node and this file, so completion works without the bin on PATH (npx). */
export interface BinPath {
  node: string;
  script: string;
}

/**
 * Candidates for the last word of `words` (the words after the program; a hack/<name> launcher passes <name> first).
 * Commands, then per command: its options (from its option table), an option's value (`--cluster`: the workspace's
 * clusters), its subcommands (its usage's Subcommands block or literal words), or the workspace's charts and
 * releases where its usage takes `<chart|release|cluster/release>` (again after each one when it takes several).
 */
export async function completions(words: string[], root: string): Promise<string[]> {
  const current = words.at(-1) ?? '';
  const matching = (candidates: Iterable<string>) => [...new Set(candidates)].filter((c) => c.startsWith(current)).sort();
  if (words.length <= 1) return matching([...Object.keys(COMMANDS), 'completion']);
  const [name, ...rest] = words;
  if (name === 'completion') return rest.length === 1 ? matching(SHELLS) : [];
  if (!Object.hasOwn(COMMANDS, name)) return [];
  const spec = (await COMMANDS[name].load()).default;
  const options = { ...spec.options, help: { type: 'boolean', short: 'h' } } as Record<string, { type: string; short?: string }>;
  const previous = rest.at(-2);
  const valueOf = previous?.startsWith('--') ? options[previous.slice(2)] : undefined;
  if (valueOf?.type === 'string') {
    if (previous === '--cluster') return matching((await resolution(root)).clusters.map((c) => c.name));
    return matching(OPTION_WORDS[previous!.slice(2)] ?? []);
  }
  if (current.startsWith('-')) return matching(Object.keys(options).map((o) => `--${o}`));
  const positionals = rest
    .slice(0, -1)
    .filter((w, i, all) => !w.startsWith('-') && !(all[i - 1]?.startsWith('--') && options[all[i - 1].slice(2)]?.type === 'string'));
  // The usage's positional slots (up to the first option), the last one repeating when it says `...`.
  const usage = /Usage: \{cmd\} ([^\n]*)/.exec(spec.usage)?.[1] ?? '';
  const slots = usage.split(' ');
  const optionAt = slots.findIndex((w) => /^[-[]/.test(w));
  const positional = optionAt < 0 ? slots : slots.slice(0, optionAt);
  const last = positional.at(-1);
  const slot = positional[positionals.length] ?? (last?.includes('...') ? last : undefined);
  if (slot === undefined) return [];
  const subcommands = /\nSubcommands:\n([\s\S]*?)\n\n/.exec(spec.usage)?.[1];
  if (positionals.length === 0 && subcommands) return matching([...subcommands.matchAll(/^ {2}([a-z][\w-]*)/gm)].map((m) => m[1]));
  if (/release>|app\.\.\./.test(slot)) {
    const { releases } = await resolution(root);
    const typed = new Set(positionals);
    return matching(releases.flatMap((r) => [r.chart, r.name, `${r.cluster}/${r.name}`]).filter((c) => !typed.has(c)));
  }
  return matching(
    slot
      .replace(/^<|>?(\.\.\.)?$/g, '')
      .split('|')
      .filter((w) => /^[a-z][\w-]*$/.test(w)),
  );
}

/** The workspace's resolution (behind the resolution cache: a repeated Tab reads one small file). */
async function resolution(root: string) {
  return resolveWorkspace((await readLayoutFromNxJson(root)).layout);
}

/**
 * The completion script for `shell`, registered for `homelab` and each hack/<name> (bash and zsh: as typed, with or
 * without ./; fish: by path).
 */
export function completionScript(shell: string, bin: BinPath): string {
  const call = `${quote(bin.node)} ${quote(bin.script)} __complete`;
  const hack = Object.keys(COMMANDS).flatMap((name) => [`hack/${name}`, `./hack/${name}`]);
  if (shell === 'bash') {
    return `# homelab completion for bash: homelab completion bash > ~/.homelab.bash, then source it in ~/.bashrc
_homelab_complete() {
  local prog="\${COMP_WORDS[0]##*/}" IFS=$'\\n'
  local -a args=("\${COMP_WORDS[@]:1:COMP_CWORD}")
  [ "$prog" = homelab ] || args=("$prog" "\${args[@]}")
  COMPREPLY=($(${call} "\${args[@]}" 2>/dev/null))
}
complete -o default -F _homelab_complete homelab ${hack.join(' ')}
`;
  }
  if (shell === 'zsh') {
    return `# homelab completion for zsh: homelab completion zsh > ~/.homelab.zsh, then source it in ~/.zshrc after compinit
_homelab_complete() {
  local prog=\${words[1]:t}
  local -a args candidates
  args=("\${(@)words[2,CURRENT]}")
  [[ $prog == homelab ]] || args=($prog "\${(@)args}")
  candidates=("\${(@f)$(${call} "\${(@)args}" 2>/dev/null)}")
  candidates=(\${candidates:#})
  if (( \${#candidates} )); then compadd -- "\${(@)candidates}"; else _files; fi
}
compdef _homelab_complete homelab ${hack.join(' ')}
`;
  }
  if (shell === 'fish') {
    return `# homelab completion for fish: homelab completion fish > ~/.homelab.fish, then source it in config.fish
function __homelab_complete
    set -l words (commandline -opc) (commandline -ct)
    set -l prog (string replace -r '.*/' '' -- $words[1])
    if test "$prog" = homelab
        set -e words[1]
    else
        set words[1] $prog
    end
    ${call} $words 2>/dev/null
end
complete -c homelab -f -a '(__homelab_complete)'
${Object.keys(COMMANDS)
  .map((name) => `complete -p '*/hack/${name}' -f -a '(__homelab_complete)'`)
  .join('\n')}
`;
  }
  throw new HomelabError(`no completion for shell ${shell}`, `one of ${SHELLS.join(', ')}`);
}

/** Single-quoted for any of the three shells (paths with spaces). */
const quote = (text: string) => `'${text.replaceAll("'", `'\\''`)}'`;
