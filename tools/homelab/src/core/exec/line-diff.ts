/** Unified diffs of two texts over lines, like `diff -u`, computed by jsdiff (Myers in linear memory). */
import { formatPatch, OMIT_HEADERS, structuredPatch } from 'diff';

/** A missing final newline is not a change worth a `\ No newline at end of file` line: both texts end in one. */
function terminated(text: string): string {
  return text === '' || text.endsWith('\n') ? text : `${text}\n`;
}

/** `diff -u` style text ('' when equal), with `context` unchanged lines around each change. */
export function unifiedDiff(before: string, after: string, labels: { from: string; to: string }, context = 3): string {
  const patch = structuredPatch(labels.from, labels.to, terminated(before), terminated(after), undefined, undefined, { context });
  if (patch.hunks.length === 0) return '';
  // Labels are printed as given (jsdiff would C-quote names with spaces or non-ASCII).
  return `--- ${labels.from}\n+++ ${labels.to}\n${formatPatch(patch, OMIT_HEADERS)}`;
}
