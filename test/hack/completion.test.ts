// Shell completion of the homelab bin and the hack/ launchers, through the built bin on the example workspace and
// real bash, zsh and fish sourcing the script the bin prints.
import { execFileSync, spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../support/workspace.ts';

const bin = path.join(repoRoot, 'tools/homelab/dist/src/bin/homelab.js');
const homelab = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { cwd: repoRoot, encoding: 'utf8' });
const complete = (...words: string[]) =>
  homelab('__complete', ...words)
    .stdout.split('\n')
    .filter(Boolean);
const script = (shell: string) => homelab('completion', shell).stdout;
const has = (shell: string) => spawnSync('sh', ['-c', `command -v ${shell}`]).status === 0;
/** Runs `code` in `shell` in the example workspace, the completion script given as $SCRIPT. */
const inShell = (shell: string, args: string[], code: string) =>
  execFileSync(shell, [...args, code], { cwd: repoRoot, env: { ...process.env, SCRIPT: script(shell) }, encoding: 'utf8' })
    .split('\n')
    .filter(Boolean);

describe('homelab __complete', () => {
  it('completes commands, options, option values, subcommands and the workspace’s releases', () => {
    expect(complete('')).toEqual(expect.arrayContaining(['completion', 'install', 'secrets', 'status', 'template', 'uninstall']));
    expect(complete('te')).toEqual(['template']);
    expect(complete('template', '--c')).toEqual(['--cluster']);
    expect(complete('template', '--cluster', '')).toEqual(['home', 'lab']);
    expect(complete('template', 'mon')).toEqual(['monitoring']);
    expect(complete('diff', '--cluster', 'home', 'home/n')).toEqual(['home/networking']);
    // Charts, release names and cluster/release, as template and the cluster commands take them.
    expect(complete('install', '')).toEqual(expect.arrayContaining(['monitoring', 'home/monitoring', 'system', 'home/system']));
    // Several releases: each Tab offers the rest; argocd's action comes first, then releases.
    expect(complete('install', 'monitoring', 'n')).toEqual(['networking']);
    expect(complete('install', 'monitoring', 'mon')).toEqual([]);
    expect(complete('argocd', '')).toEqual(['refresh', 'resume', 'sync']);
    expect(complete('argocd', 'sync', 'home/mon')).toEqual(['home/monitoring']);
    expect(complete('charts', '')).toEqual(['pull']);
    expect(complete('charts', 'pull', '')).toEqual([]);
    expect(complete('secrets', 'r')).toEqual(['recipients', 'rm', 'rotate']);
    expect(complete('completion', '')).toEqual(['bash', 'fish', 'zsh']);
    expect(complete('nonsense', '')).toEqual([]);
  });

  it('refuses a shell it has no script for in one line', () => {
    const result = homelab('completion', 'tcsh');
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('no completion for shell tcsh — one of bash, zsh, fish');
  });
});

describe('the completion scripts in real shells', () => {
  it('bash: homelab, hack/<name> and ./hack/<name>', () => {
    const run = (words: string[], cword: number) =>
      inShell(
        'bash',
        ['-c'],
        `eval "$SCRIPT"; COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${cword}; _homelab_complete; printf '%s\\n' "\${COMPREPLY[@]}"`,
      );
    expect(run(['homelab', 'template', 'mon'], 2)).toEqual(['monitoring']);
    expect(run(['hack/template', 'mon'], 1)).toEqual(['monitoring']);
    expect(run(['./hack/install', '--cl'], 1)).toEqual(['--cluster']);
    expect(run(['homelab', 'te'], 1)).toEqual(['template']);
    expect(inShell('bash', ['-c'], 'eval "$SCRIPT"; complete -p homelab hack/status')).toEqual([
      'complete -o default -F _homelab_complete homelab',
      'complete -o default -F _homelab_complete hack/status',
    ]);
  });

  // Outside an interactive line editor compadd and compdef cannot run: they print what they were given.
  it.skipIf(!has('zsh'))('zsh: homelab and hack/<name>, files when nothing else fits', () => {
    const run = (words: string[]) =>
      inShell(
        'zsh',
        ['-fc'],
        `compdef() { print -r -- "compdef $*" }; compadd() { [[ $1 == -- ]] && shift; print -l -- "$@" }; _files() { print FILES }
eval "$SCRIPT" >/dev/null; words=(${words.map((w) => `'${w}'`).join(' ')}); CURRENT=${words.length}; _homelab_complete`,
      );
    expect(run(['homelab', 'template', 'mon'])).toEqual(['monitoring']);
    expect(run(['hack/diff', '--cluster', ''])).toEqual(['home', 'lab']);
    expect(run(['homelab', 'charts', 'pull', ''])).toEqual(['FILES']);
    expect(inShell('zsh', ['-fc'], 'compdef() { print -r -- "compdef $*" }; eval "$SCRIPT"')[0]).toMatch(
      /^compdef _homelab_complete homelab hack\/template \.\/hack\/template /,
    );
  });

  it.skipIf(!has('fish'))('fish: homelab and hack/<name> by path', () => {
    const run = (line: string) => inShell('fish', ['-c'], `echo $SCRIPT | source; complete -C '${line}'`);
    expect(run('homelab template mon')).toEqual(['monitoring']);
    expect(run('hack/template mon')).toEqual(['monitoring']);
    expect(run('./hack/uninstall --cl')).toEqual(['--cluster']);
    expect(run('homelab completion ')).toEqual(['bash', 'fish', 'zsh']);
  });
});
