import { execa } from 'execa';
import type { Writable } from 'node:stream';

export interface RunOptions {
  cwd?: string;
  /**
   * In-memory inputs, e.g. decrypted value files: inputs[0] is stdin (`-f -`), inputs[i] is file
   * descriptor 2+i (`-f /dev/fd/3`, …). Secrets travel only through these pipes.
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

/** Runs a real CLI (helm, kubectl, sops, ansible) without a shell; never rejects on a non-zero exit. */
export async function runTool(bin: string, args: string[], options: RunOptions = {}): Promise<RunResult> {
  const inputs = options.inputs ?? [];
  const extraPipes = inputs.slice(1).map(() => 'pipe' as const);
  const child = execa(bin, args, {
    cwd: options.cwd,
    env: options.env,
    reject: false,
    stripFinalNewline: false,
    timeout: options.timeoutMs,
    stdio: [inputs.length > 0 ? 'pipe' : 'ignore', 'pipe', 'pipe', ...extraPipes],
    lines: false,
  });
  inputs.forEach((input, index) => {
    const stream = (index === 0 ? child.stdin : child.stdio[index + 2]) as Writable;
    // The reader may exit before consuming everything (e.g. helm fails early): ignore EPIPE.
    stream.on('error', () => {});
    stream.end(input);
  });
  const lines = options.onLine ? lineSplitter(options.onLine) : undefined;
  if (lines) {
    child.stdout?.on('data', lines.push);
    child.stderr?.on('data', lines.push);
  }
  const result = await child;
  lines?.flush();
  return { exitCode: result.exitCode ?? 1, stdout: String(result.stdout ?? ''), stderr: String(result.stderr ?? '') };
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
