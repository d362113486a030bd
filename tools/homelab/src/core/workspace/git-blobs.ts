import { HomelabError } from '../model/errors.ts';
import { failureLine, startTool, type ToolSession } from '../exec/process.ts';

interface Waiter {
  resolve(text: string | undefined): void;
  reject(err: Error): void;
}

/**
 * One `git cat-file --batch` process: object names go in on stdin as they are asked for, answers come back in the
 * same order (`<sha> <type> <size>\n<content>\n`, or `<name> missing\n`), so reads pipeline through one process.
 */
class CatFileBatch {
  readonly #session: ToolSession;
  readonly #waiting: Waiter[] = [];
  /** Output not parsed yet; a body is joined once all of it has arrived, so a large blob is copied once. */
  #chunks: Buffer[] = [];
  #buffered = 0;
  /** Bytes of the answer being received (content and its newline); undefined while a header is expected. */
  #body: number | undefined;
  readonly #onIdle: () => void;

  /** The process has exited: a new read needs a new batch. */
  closed = false;

  constructor(root: string, onIdle: () => void) {
    this.#onIdle = onIdle;
    this.#session = startTool('git', ['cat-file', '--batch'], { cwd: root, onStdout: (chunk) => this.#take(chunk) });
    void this.#session.exited.then((result) => {
      this.closed = true;
      const err = new HomelabError(`git cat-file failed in ${root}: ${failureLine(result.stderr)}`, 'run `git cat-file --batch` there by hand to see why');
      for (const waiter of this.#waiting.splice(0)) waiter.reject(err);
    });
  }

  get idle(): boolean {
    return this.#waiting.length === 0;
  }

  read(name: string): Promise<string | undefined> {
    return new Promise((resolve, reject) => {
      this.#waiting.push({ resolve, reject });
      this.#session.write(`${name}\n`);
    });
  }

  end(): void {
    this.#session.end();
  }

  #take(chunk: Buffer): void {
    this.#chunks.push(chunk);
    this.#buffered += chunk.length;
    for (;;) {
      if (this.#body === undefined) {
        const out = this.#joined();
        const eol = out.indexOf(10);
        if (eol === -1) return;
        const size = /^\S+ \S+ (\d+)$/.exec(out.subarray(0, eol).toString('utf8'))?.[1];
        this.#keep(out.subarray(eol + 1));
        if (size === undefined) {
          this.#answer(undefined);
          continue;
        }
        this.#body = Number(size) + 1;
      }
      if (this.#buffered < this.#body) return;
      const out = this.#joined();
      const text = out.subarray(0, this.#body - 1).toString('utf8');
      this.#keep(out.subarray(this.#body));
      this.#body = undefined;
      this.#answer(text);
    }
  }

  #answer(text: string | undefined): void {
    this.#waiting.shift()?.resolve(text);
    if (this.idle) this.#onIdle();
  }

  #joined(): Buffer {
    if (this.#chunks.length !== 1) this.#keep(Buffer.concat(this.#chunks));
    return this.#chunks[0];
  }

  #keep(rest: Buffer): void {
    this.#chunks = [rest];
    this.#buffered = rest.length;
  }
}

/**
 * Blob texts of a repository read through one `git cat-file --batch` process at a time instead of one process
 * per file. The process ends once nothing is awaited after the reads of the moment have settled, and a later read
 * starts another: no process outlives its reads, and no caller has to close anything.
 */
export class GitBlobs {
  readonly #root: string;
  #batch: CatFileBatch | undefined;

  constructor(root: string) {
    this.#root = root;
  }

  /** The text of the object `name` (a blob sha, or `<rev>:<path>`), undefined when there is none. */
  read(name: string): Promise<string | undefined> {
    if (!this.#batch || this.#batch.closed) this.#batch = new CatFileBatch(this.#root, () => this.#endWhenIdle());
    return this.#batch.read(name);
  }

  /** After the callers of the answers just given have run: they often ask for the next file straight away. */
  #endWhenIdle(): void {
    const batch = this.#batch;
    setImmediate(() => {
      if (batch !== this.#batch || !batch?.idle) return;
      batch.end();
      this.#batch = undefined;
    });
  }
}
