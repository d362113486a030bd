#!/usr/bin/env node
// `homelab <command>` (npx homelab template monitoring): the escape hatch of @homelab/nx, without Nx, on the
// repository around the current directory.
import { existsSync } from 'node:fs';
import module from 'node:module';
import { homedir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { completions, completionScript } from './completion.ts';
import { commandList, runNamed } from './run.ts';
import { fail } from './shell.ts';

/** The repository root: the nearest directory up from `dir` with an nx.json, else with a .git, else `dir` itself. */
function repositoryRoot(dir: string): string {
  const up = (marker: string): string | undefined => {
    for (let current = dir; ; current = path.dirname(current)) {
      if (existsSync(path.join(current, marker))) return current;
      if (path.dirname(current) === current) return undefined;
    }
  };
  return up('nx.json') ?? up('.git') ?? dir;
}

// V8 keeps the code it compiled for the commands between runs: less start-up per command. In the user's cache, not the
// shared temp directory, which the toolkit's processes leave untouched. Optional call: a Node too old to have it must
// still reach the version check and its one-line refusal.
const cacheHome = process.env.XDG_CACHE_HOME || path.join(homedir(), '.cache');
module.enableCompileCache?.(process.env.NODE_COMPILE_CACHE || path.join(cacheHome, 'homelab', 'node-compile-cache'));
const [name, ...args] = process.argv.slice(2);
if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
  if (name === undefined) process.exitCode = 1;
  process.stdout.write(
    `Usage: homelab <command> [options]   (homelab <command> --help for its options)\n\nRuns on the repository around the current directory (nearest nx.json, else .git), without Nx.\n\nCommands:\n${commandList()}\n  completion   print the shell completion script: bash, zsh or fish\n`,
  );
} else if (name === 'completion') {
  try {
    process.stdout.write(completionScript(args[0] ?? '', { node: process.execPath, script: fileURLToPath(import.meta.url) }));
  } catch (err) {
    fail(err);
  }
} else if (name === '__complete') {
  // The completion scripts' callback: candidates one per line, nothing (never an error) when there are none.
  const candidates = await completions(args, repositoryRoot(process.cwd())).catch(() => []);
  process.stdout.write(candidates.map((c) => `${c}\n`).join(''));
} else {
  await runNamed(name, args, { root: repositoryRoot(process.cwd()), prefix: 'homelab ' });
}
