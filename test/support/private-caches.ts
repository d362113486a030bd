// Setup file of every test file.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, inject } from 'vitest';

// Every temp dir the test file, its helpers and the processes they start make lands in one directory of the file's
// own (os.tmpdir() reads TMPDIR on each call; helm, kubectl, git and Nx honour it), inside the run's (temp-dir.ts),
// removed after the file: a run leaves the machine's temp dir as it found it.
const tmp = mkdtempSync(path.join(inject('testTmp'), 'file-'));
process.env.TMPDIR = tmp;
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

// kubectl keeps the API discovery of each server it talks to under ~/.kube/cache, by host and port, for hours. The
// fake API servers listen on port 0, so one often gets a port an earlier one had (in this run or a past one) while
// serving other resources (with or without ArgoCD's Application), and kubectl would believe the stale list. Each test
// file gets its own empty cache.
const kubeCache = path.join(tmp, 'kube-cache');
mkdirSync(kubeCache);
process.env.KUBECACHEDIR = kubeCache;

// The chart cache the global setup filled with the example's upstream charts (tests needing another cache set theirs).
process.env.XDG_CACHE_HOME = inject('exampleChartCache');
