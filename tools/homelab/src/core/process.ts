import { spawn } from 'node:child_process';
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
  timeoutMs?: number;
}

export interface RunResult {
  exitCode: number;
  stdout: string;
  stderr: string;
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
 * Runs a real CLI (helm, kubectl, sops, ansible) without a shell; never rejects: a non-zero exit, a signal or a
 * binary that cannot start all come back as a non-zero exitCode. Plain node:child_process: every hack script and
 * executor process starts through here, and execa would add a hundred modules to load to each.
 */
export function runTool(bin: string, args: string[], options: RunOptions = {}): Promise<RunResult> {
  const inputs = options.inputs ?? [];
  const extraPipes = inputs.slice(1).map(() => 'pipe' as const);
  const [command, argv] = withPipes(bin, args, extraPipes.length);
  const child = spawn(command, argv, {
    cwd: options.cwd,
    env: options.env ? { ...process.env, ...options.env } : process.env,
    timeout: options.timeoutMs,
    stdio: [inputs.length > 0 ? 'pipe' : 'ignore', 'pipe', 'pipe', ...extraPipes],
  });
  inputs.forEach((input, index) => {
    const stream = (index === 0 ? child.stdin : child.stdio[index + 2]) as Writable;
    // The reader may exit before consuming everything (e.g. helm fails early): ignore EPIPE.
    stream.on('error', () => {});
    stream.end(input);
  });
  const stdout: Buffer[] = [];
  const stderr: Buffer[] = [];
  child.stdout!.on('data', (chunk: Buffer) => stdout.push(chunk));
  child.stderr!.on('data', (chunk: Buffer) => stderr.push(chunk));
  // One splitter per stream: a partial stdout line must not be glued to a stderr line.
  const splitters = options.onLine ? [lineSplitter(options.onLine), lineSplitter(options.onLine)] : [];
  if (splitters.length) {
    child.stdout!.on('data', splitters[0].push);
    child.stderr!.on('data', splitters[1].push);
  }
  return new Promise((resolve) => {
    let startError = '';
    child.on('error', (err) => {
      startError = `${err.message}\n`;
    });
    child.on('close', (code) => {
      splitters.forEach((s) => s.flush());
      resolve({
        exitCode: startError || code === null ? 1 : code,
        stdout: Buffer.concat(stdout).toString('utf8'),
        stderr: Buffer.concat(stderr).toString('utf8') + startError,
      });
    });
  });
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
  const lines = stderr.split('\n').map((l) => l.trim()).filter(Boolean);
  return lines.find((l) => /^error:/i.test(l)) ?? lines.at(-1) ?? 'no error output';
}
