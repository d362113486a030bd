// Global setup: one temp directory for the run, under which every test file gets its own TMPDIR (private-caches.ts).
// Removed whole at the end, with whatever a file that ran no hook (all its tests skipped) or a stopped worker left.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    testTmp: string;
  }
}

export default function setup(project: TestProject): () => void {
  const dir = mkdtempSync(path.join(tmpdir(), 'homelab-test-run-'));
  project.provide('testTmp', dir);
  return () => rmSync(dir, { recursive: true, force: true });
}
