// Secret input for the escape-hatch commands: the whole of stdin when it is piped, else a prompt on the terminal
// that echoes nothing (zx's question() echoes what is typed, so it is not used for secrets).

/** Everything on stdin, as bytes (`secrets set --from-file -`). */
export async function stdinBytes(): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Everything piped on stdin. */
export async function readStdin(): Promise<string> {
  return (await stdinBytes()).toString('utf8');
}

/** One line typed on the terminal with echo off; the question goes to stderr so stdout stays clean. */
export function hiddenLine(question: string): Promise<string> {
  const input = process.stdin;
  // Echo off before the question shows: whatever is typed (or pasted) after it must not appear.
  input.setRawMode(true);
  input.resume();
  process.stderr.write(question);
  return new Promise<string>((resolve, reject) => {
    let line = '';
    const finish = (err?: Error) => {
      input.off('data', onData);
      input.setRawMode(false);
      input.pause();
      process.stderr.write('\n');
      if (err) reject(err);
      else resolve(line);
    };
    const onData = (chunk: Buffer) => {
      for (const ch of chunk.toString('utf8')) {
        if (ch === '\r' || ch === '\n') return finish();
        if (ch === '\u0003' || ch === '\u0004') return finish(new Error('input interrupted'));
        if (ch === '\u007f' || ch === '\b') line = line.slice(0, -1);
        else line += ch;
      }
    };
    input.on('data', onData);
  });
}

/** A secret value: piped stdin as is, or typed twice at a hidden prompt. */
export async function readSecretValue(label: string): Promise<string> {
  if (!process.stdin.isTTY) return readStdin();
  const first = await hiddenLine(`Value for ${label} (hidden): `);
  const again = await hiddenLine('Again: ');
  if (first !== again) throw new Error('the two entries differ, nothing changed');
  return first;
}
