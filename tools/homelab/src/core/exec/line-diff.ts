/** Unified diffs of two texts (Myers' O(ND) shortest edit script over lines), like `diff -u`. */

type Op = { kind: ' ' | '-' | '+'; line: string };

/** The shortest edit script turning `a` into `b`, as one op per line. */
export function diffLines(a: string[], b: string[]): Op[] {
  const n = a.length;
  const m = b.length;
  const max = n + m;
  const offset = max + 1;
  const v = new Int32Array(2 * max + 3);
  const trace: Int32Array[] = [];
  let done = false;
  for (let d = 0; d <= max && !done; d += 1) {
    trace.push(v.slice());
    for (let k = -d; k <= d; k += 2) {
      let x = k === -d || (k !== d && v[offset + k - 1] < v[offset + k + 1]) ? v[offset + k + 1] : v[offset + k - 1] + 1;
      let y = x - k;
      while (x < n && y < m && a[x] === b[y]) {
        x += 1;
        y += 1;
      }
      v[offset + k] = x;
      if (x >= n && y >= m) {
        done = true;
        break;
      }
    }
  }
  // Walk back through the saved frontiers to recover the path.
  const ops: Op[] = [];
  let x = n;
  let y = m;
  for (let d = trace.length - 1; d >= 0 && (x > 0 || y > 0); d -= 1) {
    const frontier = trace[d];
    const k = x - y;
    const down = k === -d || (k !== d && frontier[offset + k - 1] < frontier[offset + k + 1]);
    const prevK = down ? k + 1 : k - 1;
    const prevX = d === 0 ? 0 : frontier[offset + prevK];
    const prevY = prevX - prevK;
    while (x > prevX && y > prevY) {
      x -= 1;
      y -= 1;
      ops.push({ kind: ' ', line: a[x] });
    }
    if (d > 0) {
      if (down) ops.push({ kind: '+', line: b[--y] });
      else ops.push({ kind: '-', line: a[--x] });
    }
  }
  return ops.reverse();
}

function splitLines(text: string): string[] {
  if (text === '') return [];
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  return lines;
}

/** `diff -u` style text ('' when equal), with `context` unchanged lines around each change. */
export function unifiedDiff(before: string, after: string, labels: { from: string; to: string }, context = 3): string {
  const ops = diffLines(splitLines(before), splitLines(after));
  if (ops.every((op) => op.kind === ' ')) return '';
  const out = [`--- ${labels.from}`, `+++ ${labels.to}`];
  let i = 0;
  while (i < ops.length) {
    while (i < ops.length && ops[i].kind === ' ') i += 1;
    if (i >= ops.length) break;
    // A hunk: from `context` lines before this change to `context` lines after the last change within reach.
    const start = Math.max(0, i - context);
    let end = i;
    for (let j = i; j < ops.length; j += 1) {
      if (ops[j].kind !== ' ') end = j;
      else if (j - end > 2 * context) break;
    }
    const stop = Math.min(ops.length, end + context + 1);
    let aLine = 1;
    let bLine = 1;
    for (let j = 0; j < start; j += 1) {
      if (ops[j].kind !== '+') aLine += 1;
      if (ops[j].kind !== '-') bLine += 1;
    }
    const hunk = ops.slice(start, stop);
    const aCount = hunk.filter((op) => op.kind !== '+').length;
    const bCount = hunk.filter((op) => op.kind !== '-').length;
    out.push(`@@ -${aCount === 0 ? aLine - 1 : aLine},${aCount} +${bCount === 0 ? bLine - 1 : bLine},${bCount} @@`);
    for (const op of hunk) out.push(`${op.kind}${op.line}`);
    i = stop;
  }
  return `${out.join('\n')}\n`;
}
