/** sops file formats and how sops picks one: by case-sensitive suffix (`cmd/sops/formats`). */
import { unknownFormat } from './errors.ts';

export const SOPS_FORMATS = ['yaml', 'json', 'dotenv', 'ini', 'binary'] as const;
export type SopsFormat = (typeof SOPS_FORMATS)[number];

export function formatFromPath(path: string): SopsFormat {
  if (path.endsWith('.yaml') || path.endsWith('.yml')) return 'yaml';
  if (path.endsWith('.json')) return 'json';
  if (path.endsWith('.env')) return 'dotenv';
  if (path.endsWith('.ini')) return 'ini';
  return 'binary';
}

/** A format name as given on a command line (`--input-type`); throws for anything else. */
export function parseFormat(name: string): SopsFormat {
  if ((SOPS_FORMATS as readonly string[]).includes(name)) return name as SopsFormat;
  throw unknownFormat(name);
}
