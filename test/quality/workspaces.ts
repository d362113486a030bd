// Workspaces for the lint/validate/check tests: the example repository, or a broken fixture built in a temp dir.
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll } from 'vitest';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const FIXTURES = path.join(repoRoot, 'test/fixtures/quality');

const made: string[] = [];
afterAll(async () => {
  await Promise.all(made.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

/**
 * test/fixtures/quality/base (a small workspace that passes everything) with each named fixture's files laid over
 * it: a fixture holds only what it breaks. Built in a temp dir, so helm dependency builds never touch the repo.
 */
export async function fixtureWorkspace(...overlays: string[]): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), `quality-${overlays.join('+') || 'base'}-`));
  made.push(dir);
  await cp(path.join(FIXTURES, 'base'), dir, { recursive: true });
  for (const overlay of overlays) await cp(path.join(FIXTURES, overlay), dir, { recursive: true, force: true });
  return dir;
}
