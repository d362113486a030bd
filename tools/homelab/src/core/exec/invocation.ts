import path from 'node:path';
import type { Masker } from './mask.ts';
import { inputPath, runTool, type RunResult } from './process.ts';

/**
 * One helm or kubectl call, as data: dry-runs print it, real runs execute exactly the same argv.
 * Pipe contents (decrypted values, rendered manifests) are never printed, only what they carry.
 */
export interface Invocation {
  tool: 'helm' | 'kubectl';
  bin: string;
  args: string[];
  /** Read by the tool at `inputPath(i)` (process.ts): stdin, then real pipes. */
  inputs: Buffer[];
  /** What each input carries, printed in place of its content. */
  inputLabels: string[];
  /** Workspace root: relative chart and value-file paths in `args` are relative to it. */
  cwd: string;
  env?: Record<string, string>;
}

export function invocation(
  tool: Invocation['tool'],
  bin: string,
  args: string[],
  cwd: string,
  extra: { inputs?: Buffer[]; inputLabels?: string[]; env?: Record<string, string> } = {},
): Invocation {
  return { tool, bin, args, cwd, inputs: extra.inputs ?? [], inputLabels: extra.inputLabels ?? [], ...(extra.env ? { env: extra.env } : {}) };
}

/** Workspace paths print (and run, from the root) relative, so the documented commands are copy-pasteable. */
export function relativeToRoot(root: string, args: string[]): string[] {
  const prefix = root.endsWith(path.sep) ? root : root + path.sep;
  return args.map((arg) => (arg.startsWith(prefix) ? arg.slice(prefix.length) : arg));
}

const SAFE = /^[\w@%+=:,./-]+$/;

export function shellQuote(arg: string): string {
  if (arg !== '' && SAFE.test(arg)) return arg;
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** `$ helm upgrade …` plus one line per pipe saying what it carries (never its content). */
export function formatInvocation(inv: Invocation): string {
  const lines = [`$ ${[inv.tool, ...inv.args].map(shellQuote).join(' ')}\n`];
  inv.inputs.forEach((_, index) => {
    const where = index === 0 ? 'stdin' : inputPath(index);
    lines.push(`    ${where} <- ${inv.inputLabels[index] ?? 'in-memory input'}\n`);
  });
  return lines.join('');
}

export interface StreamOptions {
  masker: Masker;
  write: (text: string) => void;
  /** Prefix of each streamed line (e.g. `  helm │ `). */
  prefix?: string;
  timeoutMs?: number;
}

export interface StreamResult extends RunResult {
  /** The last masked lines of output, for the failure report. */
  tail: string[];
}

const TAIL_LINES = 20;

/** Runs an invocation with its output streamed live, line by line, through the masker. */
export async function streamInvocation(inv: Invocation, options: StreamOptions): Promise<StreamResult> {
  const tail: string[] = [];
  const maskLine = options.masker.lines();
  const result = await runTool(inv.bin, inv.args, {
    cwd: inv.cwd,
    env: inv.env,
    inputs: inv.inputs,
    timeoutMs: options.timeoutMs,
    onLine: (line) => {
      const masked = maskLine(line);
      tail.push(masked);
      if (tail.length > TAIL_LINES) tail.shift();
      options.write(`${options.prefix ?? ''}${masked}\n`);
    },
  });
  return { ...result, tail };
}

/** Runs quietly (reads such as `helm history`); the caller masks anything it prints. */
export function captureInvocation(inv: Invocation, timeoutMs = 120_000): Promise<RunResult> {
  return runTool(inv.bin, inv.args, { cwd: inv.cwd, env: inv.env, inputs: inv.inputs, timeoutMs });
}

/** The failure report: helm's last lines, already masked. */
export function formatTail(tool: string, tail: string[]): string {
  if (tail.length === 0) return '';
  return [`--- last ${tail.length} lines of ${tool} output ---\n`, ...tail.map((l) => `  ${l}\n`), '---\n'].join('');
}

/**
 * helm's error as one line: its `Error:` line plus the indented cause lines Helm 3 puts below it
 * (`1 error occurred:` / `\t* admission webhook … denied …`).
 */
export function errorSummary(stderr: string): string {
  const lines = stderr.split('\n');
  const start = lines.findIndex((l) => /^error:/i.test(l.trim()));
  if (start < 0)
    return (
      lines
        .map((l) => l.trim())
        .filter(Boolean)
        .at(-1) ?? 'no error output'
    );
  const cause = lines.slice(start + 1).filter((l) => /^\s+\S/.test(l) || /^\*/.test(l.trim()));
  return [lines[start], ...cause]
    .map((l) => l.trim())
    .join(' ')
    .replace(/^error:\s*/i, '');
}
