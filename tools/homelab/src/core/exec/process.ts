import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { constants } from 'node:os';
import type { Writable } from 'node:stream';

export interface RunOptions {
  cwd?: string;
  /**
   * In-memory inputs, e.g. decrypted value files, readable by the child at `inputPath(i)`.
   * Secrets travel only through these pipes.
   */
  inputs?: Buffer[];
  /** Called with each line of stdout+stderr as it arrives (already the raw text: callers mask). */
  onLine?: (line: string) => void;
  env?: Record<string, string>;
  /** The child is killed after this long, and the run returns even while a grandchild still holds its pipes. */
  timeoutMs?: number;
}

export interface RunResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  /** Killed after `timeoutMs`. */
  timedOut?: boolean;
}

/** Where a child reads `inputs[index]`: stdin for the first, a real pipe at fd 10, 11, … for the others. */
export function inputPath(index: number): string {
  return index === 0 ? '-' : `/dev/fd/${9 + index}`;
}

/**
 * Node gives a child extra descriptors as UNIX sockets, and opening `/dev/fd/N` of a socket fails (ENXIO).
 * With more than one input, bash turns each socket (fd 3, 4, …) into a real pipe at fd 10, 11, … through a
 * `cat` process substitution, closes the sockets and execs the tool. Nothing touches the disk.
 */
function withPipes(bin: string, args: string[], extraInputs: number): [string, string[]] {
  if (extraInputs === 0) return [bin, args];
  const sockets = Array.from({ length: extraInputs }, (_, i) => 3 + i);
  const open = sockets.map((fd, i) => `${10 + i}< <(exec cat <&${fd})`).join(' ');
  const close = sockets.map((fd) => `${fd}<&-`).join(' ');
  return ['bash', ['-c', `exec ${open}; exec ${close}; exec "$@"`, 'bash', bin, ...args]];
}

/**
 * Runs a real CLI (helm, kubectl, sops, ansible), without a shell; never rejects: a non-zero exit, a signal or a
 * binary that cannot start all come back as a non-zero exitCode with the reason on stderr. `env` adds to this
 * process's environment. Plain `spawn`: every command pays for what loads at startup, and a process library is a
 * hundred modules.
 */
export async function runTool(bin: string, args: string[], options: RunOptions = {}): Promise<RunResult> {
  const inputs = options.inputs ?? [];
  const extraPipes = inputs.slice(1).map(() => 'pipe' as const);
  const [command, argv] = withPipes(bin, args, extraPipes.length);
  const child = spawn(command, argv, {
    cwd: options.cwd,
    env: options.env === undefined ? undefined : { ...process.env, ...options.env },
    stdio: [inputs.length > 0 ? 'pipe' : 'ignore', 'pipe', 'pipe', ...extraPipes],
  });
  inputs.forEach((input, index) => {
    const stream = child.stdio[index === 0 ? 0 : index + 2] as Writable;
    // The reader may exit before consuming everything (e.g. helm fails early): ignore EPIPE.
    stream.on('error', () => {});
    stream.end(input);
  });
  const stdout: Buffer[] = [];
  const stderr: Buffer[] = [];
  // One splitter per stream: a partial stdout line must not be glued to a stderr line.
  const splitters = options.onLine ? [lineSplitter(options.onLine), lineSplitter(options.onLine)] : [];
  child.stdout!.on('data', (chunk: Buffer) => (stdout.push(chunk), splitters[0]?.push(chunk)));
  child.stderr!.on('data', (chunk: Buffer) => (stderr.push(chunk), splitters[1]?.push(chunk)));
  let timedOut = false;
  const timer =
    options.timeoutMs === undefined
      ? undefined
      : setTimeout(() => {
          timedOut = true;
          // Descendants first, found while the child still exists (orphans get another parent).
          for (const pid of descendants(child.pid)) killQuietly(pid);
          child.kill('SIGKILL');
          // A grandchild that inherited stdout/stderr (a helm plugin, a wrapper script) keeps the pipes open for as
          // long as it lives: stop reading them, or the run would wait for it.
          child.stdout?.destroy();
          child.stderr?.destroy();
        }, options.timeoutMs);
  let startError: Error | undefined;
  child.on('error', (err) => {
    startError = err;
  });
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => {
    child.on('close', (c, s) => resolve([c, s]));
  });
  clearTimeout(timer);
  splitters.forEach((s) => s.flush());
  const out = Buffer.concat(stdout).toString('utf8');
  const err = Buffer.concat(stderr).toString('utf8');
  if (timedOut) return { exitCode: 1, stdout: out, stderr: `${err}timed out after ${options.timeoutMs} ms\n`, timedOut };
  // A binary that cannot start, or a kill, has no exit code: its reason goes where a tool's error would.
  if (startError) return { exitCode: 1, stdout: out, stderr: `${err}${startError.message}\n` };
  if (code === null) return { exitCode: 1, stdout: out, stderr: `${err}${bin} was killed by ${signal}\n` };
  return { exitCode: code, stdout: out, stderr: err };
}

/** A CLI kept running to answer many requests written to its stdin (`git cat-file --batch`). */
export interface ToolSession {
  write(text: string): void;
  /** Closes its stdin: the tool finishes what it was asked and exits. */
  end(): void;
  /** Its exit (stdout went to `onStdout`); a binary that cannot start exits 1 with its reason. */
  exited: Promise<RunResult>;
}

/**
 * Starts a CLI that reads requests from stdin and answers on stdout as it goes: one process instead of one per
 * request. Unlike runTool, stdout is not kept: raw chunks go to `onStdout` in order.
 */
export function startTool(bin: string, args: string[], options: { cwd?: string; onStdout: (chunk: Buffer) => void }): ToolSession {
  const child = spawn(bin, args, { cwd: options.cwd, stdio: ['pipe', 'pipe', 'pipe'] });
  // The tool may exit before reading all it was sent: its exit says why, not an EPIPE.
  child.stdin.on('error', () => {});
  child.stdout.on('data', options.onStdout);
  const stderr: Buffer[] = [];
  child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
  const exited = new Promise<RunResult>((resolve) => {
    child.on('error', (err) => resolve({ exitCode: 1, stdout: '', stderr: `${err.message}\n` }));
    child.on('close', (code) => resolve({ exitCode: code ?? 1, stdout: '', stderr: Buffer.concat(stderr).toString('utf8') }));
  });
  return { write: (text) => void child.stdin.write(text), end: () => void child.stdin.end(), exited };
}

/** A program given the terminal (an editor): it inherits stdin, stdout and stderr. */
export interface InteractiveRun {
  /** Its exit code; a signal counts as 128 + its number, a program that cannot start as 127 with its reason. */
  exited: Promise<{ exitCode: number; reason?: string }>;
  kill(signal: NodeJS.Signals): void;
}

/** Starts `bin` on this process's terminal, without a shell (argv as data). */
export function runInteractive(bin: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): InteractiveRun {
  const child = spawn(bin, args, { cwd: options.cwd, env: options.env, stdio: 'inherit' });
  const exited = new Promise<{ exitCode: number; reason?: string }>((resolve) => {
    child.on('error', (err) => resolve({ exitCode: 127, reason: err.message }));
    child.on('exit', (code, signal) => resolve({ exitCode: code ?? 128 + (signal ? constants.signals[signal] : 0) }));
  });
  return { exited, kill: (signal) => void child.kill(signal) };
}

/** Process ids below `pid` (Linux /proc; elsewhere none: only the child itself is killed). */
function descendants(pid: number | undefined): number[] {
  if (pid === undefined || process.platform !== 'linux') return [];
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // exited meanwhile
    }
    // `pid (comm) state ppid …`: comm may hold spaces and parentheses, so read after its last `)`.
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
  }
  const out: number[] = [];
  for (let queue = [pid]; queue.length > 0; ) {
    const next = children.get(queue.shift()!) ?? [];
    out.push(...next);
    queue.push(...next);
  }
  return out;
}

function killQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

function lineSplitter(onLine: (line: string) => void) {
  let rest = '';
  return {
    push: (chunk: Buffer) => {
      const lines = (rest + chunk.toString('utf8')).split('\n');
      rest = lines.pop() ?? '';
      for (const line of lines) onLine(line);
    },
    flush: () => {
      if (rest) onLine(rest);
      rest = '';
    },
  };
}

/** The most telling line of a failed tool's stderr (helm prints `Error: …`). */
export function failureLine(stderr: string): string {
  const lines = stderr
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  return lines.find((l) => /^error:/i.test(l)) ?? lines.at(-1) ?? 'no error output';
}
