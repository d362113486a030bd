// --set, --set-string and -f/--values as helm users type them: their own values on top of the Application's. The
// result is no longer what ArgoCD renders or deploys, so using them always prints one line on stderr saying so.
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import type { ValueOverlay } from '../core/helm/commands.ts';
import { HomelabError } from '../core/model/errors.ts';
import { warn } from './shell.ts';

export const overlayOptions = {
  set: { type: 'string', multiple: true },
  'set-string': { type: 'string', multiple: true },
  values: { type: 'string', short: 'f', multiple: true },
} as const;

export const overlayHelp = `  --set <key=value>        your own value after the Application's (repeatable; helm --set): differs from ArgoCD
  --set-string <key=value> the same, always a string (helm --set-string)
  -f, --values <file>      your own value file after the Application's (repeatable; relative to the current
                           directory; a plain file, not decrypted): differs from ArgoCD`;

export const DIVERGES = "--set/--set-string/-f: your values are applied after the Application's; this is not what ArgoCD renders";

let warned = false;

/**
 * The overlay the flags ask for (undefined without them); the first call prints the line on stderr that says it
 * diverges (once per run, however many releases it covers).
 */
export function overlayOf(values: { set?: string[]; 'set-string'?: string[]; values?: string[] }): ValueOverlay | undefined {
  const set = values.set ?? [];
  const setString = values['set-string'] ?? [];
  const files = values.values ?? [];
  if (set.length + setString.length + files.length === 0) return undefined;
  for (const value of [...set, ...setString]) {
    if (!value.includes('=')) throw new HomelabError(`--set ${value}: not key=value`, 'e.g. --set replicaCount=2');
  }
  const valueFiles = files.map((file) => {
    // helm's stdin carries the decrypted secrets here, so a value file cannot come from it.
    if (file === '-')
      throw new HomelabError('-f - (standard input) is not supported: stdin carries the decrypted secrets', 'write the values to a file and pass -f <file>');
    const absolute = path.resolve(file);
    if (!existsSync(absolute) || !statSync(absolute).isFile())
      throw new HomelabError(`-f ${file}: no such file`, 'give a values file, relative to the current directory');
    return absolute;
  });
  if (!warned) warn(DIVERGES);
  warned = true;
  return { valueFiles, set, setString };
}
