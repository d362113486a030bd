// Global setup: one chart cache holding stand-ins for the example's upstream charts, shared by every test file (see
// private-caches.ts), so any command that installs or renders the whole example (lower waves, run-many) finds argo-cd
// and cert-manager offline instead of reaching for the public repositories.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { prefillExampleCharts } from '../helpers/example-upstream.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    exampleChartCache: string;
  }
}

export default async function setup(project: TestProject): Promise<() => void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'homelab-test-charts-'));
  await prefillExampleCharts({ ...process.env, XDG_CACHE_HOME: dir });
  project.provide('exampleChartCache', dir);
  return () => rmSync(dir, { recursive: true, force: true });
}
