// Setup file of every test file. kubectl keeps the API discovery of each server it talks to under ~/.kube/cache,
// by host and port, for hours. The fake API servers listen on port 0, so one often gets a port an earlier one had
// (in this run or a past one) while serving other resources (with or without ArgoCD's Application), and kubectl
// would believe the stale list. Each test file gets its own empty cache.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, inject } from 'vitest';

const kubeCache = mkdtempSync(path.join(tmpdir(), 'homelab-test-kube-cache-'));
process.env.KUBECACHEDIR = kubeCache;
afterAll(() => rmSync(kubeCache, { recursive: true, force: true }));

// The chart cache the global setup filled with the example's upstream charts (tests needing another cache set theirs).
process.env.XDG_CACHE_HOME = inject('exampleChartCache');
