/** Executables on PATH (sops, an editor): small on purpose, so choosing a backend loads neither backend. */
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/** An executable named `name` on PATH, if any. */
export function findExecutable(name: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const names = process.platform === 'win32' ? [`${name}.exe`, `${name}.cmd`] : [name];
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    for (const candidate of names.map((n) => join(dir, n))) {
      try {
        accessSync(candidate, constants.X_OK);
        return candidate;
      } catch {
        // keep looking
      }
    }
  }
  return undefined;
}

/** The `sops` executable on PATH, if any. */
export function findSops(env: NodeJS.ProcessEnv = process.env): string | undefined {
  return findExecutable('sops', env);
}
