/**
 * The one error type users see. `message` is a single line naming the file, key or chart;
 * `hint` says what to do. Shells print `message — hint` and exit non-zero, never a stack.
 */
export class HomelabError extends Error {
  readonly hint: string;
  readonly exitCode: number;

  constructor(message: string, hint = '', exitCode = 1) {
    super(message);
    this.name = 'HomelabError';
    this.hint = hint;
    this.exitCode = exitCode;
  }

  /** The one line a shell prints. */
  line(): string {
    return this.hint ? `${this.message} — ${this.hint}` : this.message;
  }
}

/** One line for any thrown value; unknown errors keep only their first line (no stack, no argv dumps). */
export function errorLine(err: unknown): string {
  if (err instanceof HomelabError) return err.line();
  const text = err instanceof Error ? err.message : String(err);
  return (
    text
      .split('\n')
      .find((l) => l.trim() !== '')
      ?.trim() ?? 'unknown error'
  );
}
