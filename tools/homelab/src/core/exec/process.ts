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
 * Runs a real CLI (helm, kubectl, sops, ansible) through execa, without a shell; never rejects: a non-zero exit,
 * a signal or a binary that cannot start all come back as a non-zero exitCode. execa is imported on the first
 * call, so code paths that never run a tool (cache hits, refusals) do not pay for loading it.
 */
export async function runTool(bin: string, args: string[], options: RunOptions = {}): Promise<RunResult> {
  const { execa } = await import('execa');
  const inputs = options.inputs ?? [];
  const extraPipes = inputs.slice(1).map(() => 'pipe' as const);
  const [command, argv] = withPipes(bin, args, extraPipes.length);
  const child = execa(command, argv, {
    cwd: options.cwd,
    env: options.env,
    reject: false,
    stripFinalNewline: false,
    stdio: [inputs.length > 0 ? 'pipe' : 'ignore', 'pipe', 'pipe', ...extraPipes],
  });
  inputs.forEach((input, index) => {
    const stream = (index === 0 ? child.stdin : child.stdio[index + 2]) as Writable;
    // The reader may exit before consuming everything (e.g. helm fails early): ignore EPIPE.
    stream.on('error', () => {});
    stream.end(input);
  });
  // One splitter per stream: a partial stdout line must not be glued to a stderr line.
  const splitters = options.onLine ? [lineSplitter(options.onLine), lineSplitter(options.onLine)] : [];
  if (splitters.length) {
    child.stdout!.on('data', splitters[0].push);
    child.stderr!.on('data', splitters[1].push);
  }
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
  const result = await child;
  clearTimeout(timer);
  splitters.forEach((s) => s.flush());
  if (timedOut)
    return { exitCode: 1, stdout: String(result.stdout ?? ''), stderr: `${String(result.stderr ?? '')}timed out after ${options.timeoutMs} ms\n`, timedOut };
  // A binary that cannot start has no exit code: its reason goes where a tool's error would.
  const startFailure = result.exitCode === undefined && result.failed ? `${result.shortMessage}\n` : '';
  return {
    exitCode: result.exitCode ?? 1,
    stdout: String(result.stdout ?? ''),
    stderr: String(result.stderr ?? '') + startFailure,
  };
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
 * request. Spawned directly (no execa): raw stdout chunks go to `onStdout` in order, nothing is buffered twice.
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
