import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** A real kubeconfig file, as kind or k3s would write it. */
export async function writeKubeconfig(contexts: { name: string; server: string; cluster?: string }[], current?: string): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'kubeconfig-'));
  const file = path.join(dir, 'config');
  const clusters = contexts.map((c) => `- name: ${c.cluster ?? c.name}\n  cluster:\n    server: ${c.server}\n    insecure-skip-tls-verify: true\n`).join('');
  const ctx = contexts.map((c) => `- name: ${c.name}\n  context:\n    cluster: ${c.cluster ?? c.name}\n    user: admin\n`).join('');
  await writeFile(
    file,
    `apiVersion: v1\nkind: Config\nclusters:\n${clusters}contexts:\n${ctx}users:\n- name: admin\n  user:\n    token: not-a-real-token\ncurrent-context: ${current ?? contexts[0]?.name ?? ''}\n`,
  );
  return file;
}
