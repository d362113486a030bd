/**
 * A private directory in memory for the one plaintext file an editor needs: on a RAM-backed filesystem (tmpfs or
 * ramfs: `$XDG_RUNTIME_DIR`, else `/dev/shm`), mode 0700, removed on return, on a thrown error and on SIGINT, SIGTERM
 * and SIGHUP. A directory a SIGKILL left behind is removed by the next run (its name carries the dead owner's pid).
 */
import { mkdtempSync, readdirSync, rmSync, statfsSync, statSync } from 'node:fs';
import path from 'node:path';
import { HomelabError } from '../model/errors.ts';

/** statfs f_type of the Linux filesystems that live in memory (linux/magic.h). */
const TMPFS_MAGIC = 0x01021994;
const RAMFS_MAGIC = 0x858458f6;

const PREFIX = 'homelab-edit-';
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/** Where a memory-backed directory may be made: the per-user runtime directory first, then the shared one. */
export function memoryDirCandidates(env: NodeJS.ProcessEnv = process.env): string[] {
  return [env.XDG_RUNTIME_DIR, '/dev/shm'].filter((dir): dir is string => !!dir && path.isAbsolute(dir));
}

function inMemory(dir: string): boolean {
  try {
    if (!statSync(dir).isDirectory()) return false;
    const type = Number(statfsSync(dir).type);
    return type === TMPFS_MAGIC || type === RAMFS_MAGIC;
  } catch {
    return false;
  }
}

/** The first candidate on a memory-backed filesystem; refuses in one line naming what was checked. */
export function memoryBase(candidates: readonly string[]): string {
  const base = candidates.find(inMemory);
  if (base) return base;
  throw new HomelabError(
    `no memory-backed directory to hold the decrypted file for the editor (checked ${candidates.join(', ') || 'nothing: XDG_RUNTIME_DIR unset and no /dev/shm'}; none is tmpfs)`,
    'change values with secrets set <path> (stdin or a hidden prompt, nothing written in clear), or set XDG_RUNTIME_DIR to a tmpfs directory',
  );
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Removes our directories whose process died without cleaning up (SIGKILL, power loss keeps nothing anyway). */
function sweepStale(base: string): void {
  let names: string[];
  try {
    names = readdirSync(base);
  } catch {
    return;
  }
  const uid = process.getuid?.();
  for (const name of names) {
    const pid = name.startsWith(PREFIX) ? Number(name.slice(PREFIX.length).split('-')[0]) : Number.NaN;
    if (!Number.isInteger(pid) || alive(pid)) continue;
    const dir = path.join(base, name);
    try {
      if (uid === undefined || statSync(dir).uid === uid) rmSync(dir, { recursive: true, force: true });
    } catch {
      // another user's or already gone
    }
  }
}

export interface MemoryDirHooks {
  /** Runs first when a signal arrives (pass it on to the editor), right before the directory goes. */
  onSignal?: (signal: NodeJS.Signals) => void;
}

/**
 * Runs `use` with a fresh 0700 directory in memory and removes it however `use` ends. A signal removes it too and
 * is then raised again with the default action, so the process ends as the signal asked (exit status 128+n).
 */
export async function withMemoryDir<T>(candidates: readonly string[], use: (dir: string) => Promise<T>, hooks: MemoryDirHooks = {}): Promise<T> {
  const base = memoryBase(candidates);
  sweepStale(base);
  // mkdtemp creates the directory 0700 whatever the umask.
  const dir = mkdtempSync(path.join(base, `${PREFIX}${process.pid}-`));
  const remove = () => rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
  // Synchronous to the end: the default action of the re-raised signal ends the process before anything else runs.
  const onSignal = (signal: NodeJS.Signals) => {
    try {
      hooks.onSignal?.(signal);
    } finally {
      remove();
      detach();
      process.kill(process.pid, signal);
    }
  };
  const detach = () => {
    for (const signal of SIGNALS) process.off(signal, onSignal);
    process.off('exit', remove);
  };
  for (const signal of SIGNALS) process.on(signal, onSignal);
  // Last resort for a process.exit() somewhere below.
  process.on('exit', remove);
  try {
    return await use(dir);
  } finally {
    remove();
    detach();
  }
}
