import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { extractBundledHelm } from '../../tools/homelab/src/core/helm/helm.ts';
import { runTool } from '../../tools/homelab/src/core/exec/process.ts';

/**
 * A Helm chart repository on localhost (index.yaml + packaged charts, made by real `helm package` and
 * `helm repo index`): stands in for a remote repository or a mirror, with no network.
 */
export async function startChartRepo(charts: Record<string, Record<string, string>>): Promise<{ url: string; close(): Promise<void> }> {
  const helm = await extractBundledHelm();
  const work = await mkdtemp(path.join(tmpdir(), 'chart-repo-'));
  const out = path.join(work, 'repo');
  await mkdir(out);
  for (const [name, files] of Object.entries(charts)) {
    for (const [file, text] of Object.entries(files)) {
      await mkdir(path.dirname(path.join(work, name, file)), { recursive: true });
      await writeFile(path.join(work, name, file), text);
    }
    const packaged = await runTool(helm, ['package', path.join(work, name), '--destination', out]);
    if (packaged.exitCode !== 0) throw new Error(packaged.stderr);
  }
  const server = http.createServer(async (req, res) => {
    try {
      const body = await readFile(path.join(out, path.basename(new URL(req.url ?? '/', 'http://repo').pathname)));
      res.writeHead(200);
      res.end(body);
    } catch {
      res.writeHead(404);
      res.end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const indexed = await runTool(helm, ['repo', 'index', out, '--url', url]);
  if (indexed.exitCode !== 0) throw new Error(indexed.stderr);
  return { url, close: () => new Promise((resolve) => server.close(() => resolve())) };
}
