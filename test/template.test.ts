// The template target against hand-written helm commands: the ArgoCD fidelity guarantee.
import { execa } from 'execa';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { template } from '../tools/homelab/src/core/commands/template.ts';
import { createMasker } from '../tools/homelab/src/core/exec/mask.ts';
import { decryptFile, openSecrets } from '../tools/homelab/src/core/secrets/index.ts';
import { openWorkspace, type Workspace } from '../tools/homelab/src/core/resolve/workspace.ts';
import { childEnv, helm, repoRoot } from './support/workspace.ts';
import { resolveHelm } from '../tools/homelab/src/core/helm/helm.ts';

const common = ['--kube-version', '1.33.0', '--include-crds'];
/** The plain value files each Application lists: the chart's, the cluster's global, its own per-environment values and its version registry. */
const values = (chart: string, cluster = 'home', own: string[] = []) => [
  '-f',
  `charts/${chart}/values.yaml`,
  '-f',
  `clusters/${cluster}/values/global.yaml`,
  ...own.flatMap((file) => ['-f', `clusters/${cluster}/${file}/${chart}.yaml`]),
];

/**
 * What ArgoCD runs for each Application in clusters/home and clusters/lab, written by hand from the manifests.
 * `secrets: true` pipes the decrypted secrets.yaml to `-f -` after the plain value files.
 */
const handWritten: Record<string, { args: string[]; secrets?: boolean; extra?: string }> = {
  'home/system': { args: ['template', 'system', 'charts/system', '--namespace', 'system', ...values('system'), ...common] },
  'home/networking': {
    args: ['template', 'networking', 'charts/networking', '--namespace', 'networking', ...values('networking', 'home', ['versions']), ...common],
    extra: 'blocky:\n  service:\n    annotations:\n      metallb.universe.tf/loadBalancerIPs: 192.168.1.53\n',
  },
  'home/monitoring': {
    args: [
      'template',
      'monitoring',
      'charts/monitoring',
      '--namespace',
      'monitoring',
      ...values('monitoring', 'home', ['versions']),
      '--set',
      'prometheus.retention=30d',
      '--set-string',
      'grafana.env.GF_USERS_ALLOW_SIGN_UP=false',
      ...common,
    ],
    secrets: true,
  },
  'home/gitops': {
    args: ['template', 'gitops', 'charts/gitops', '--namespace', 'gitops', ...values('gitops', 'home', ['versions']), ...common],
    secrets: true,
    extra: 'renovate:\n  schedule: "0 4 * * *"\n',
  },
  'home/arr': { args: ['template', 'arr', 'charts/arr', '--namespace', 'arr', ...values('arr'), ...common], secrets: true },
  'home/jellyfin': {
    args: ['template', 'jellyfin', 'charts/jellyfin', '--namespace', 'jellyfin', ...values('jellyfin'), ...common],
    secrets: true,
  },
  'lab/system': { args: ['template', 'system', 'charts/system', '--namespace', 'system', ...values('system', 'lab'), ...common] },
  'lab/networking': {
    args: ['template', 'networking', 'charts/networking', '--namespace', 'networking', ...values('networking', 'lab', ['values', 'versions']), ...common],
  },
  'lab/monitoring': {
    args: ['template', 'monitoring', 'charts/monitoring', '--namespace', 'monitoring', ...values('monitoring', 'lab', ['values', 'versions']), ...common],
    secrets: true,
  },
};

const decryptedSecrets = () => decryptFile(`${repoRoot}/secrets.yaml`, { workspaceRoot: repoRoot });

/**
 * Value files in ArgoCD order: plain files, then the decrypted secrets on stdin, then the inline values. Two
 * in-memory files need a second pipe: bash's process substitution gives helm a real one (`/dev/fd/63`).
 */
async function renderByHand(release: string): Promise<string> {
  const spec = handWritten[release];
  await helm(['dependency', 'build', '--skip-refresh', `charts/${release.split('/')[1]}`]);
  const { bin } = await resolveHelm();
  const secrets = spec.secrets ? (await decryptedSecrets()).plaintext : undefined;
  if (secrets && spec.extra) {
    const script = `exec "$0" "$@" -f - -f <(printf '%s' "$HOMELAB_TEST_EXTRA")`;
    const child = execa('bash', ['-c', script, bin, ...spec.args], {
      cwd: repoRoot,
      input: secrets,
      env: { HOMELAB_TEST_EXTRA: spec.extra },
      stripFinalNewline: false,
    });
    return (await child).stdout as string;
  }
  const input = secrets ?? spec.extra;
  return (await helm(input === undefined ? spec.args : [...spec.args, '-f', '-'], input)).stdout;
}

describe('template renders every example release exactly as its ArgoCD-equivalent helm command', () => {
  let ws: Workspace;
  beforeAll(async () => {
    ws = await openWorkspace(repoRoot);
  });

  it('resolves one release per deployed chart (upstream charts: test/upstream/example.test.ts)', () => {
    expect(
      ws.resolution.releases
        .filter((r) => !r.source)
        .map((r) => `${r.cluster}/${r.chart}`)
        .sort(),
    ).toEqual(Object.keys(handWritten).sort());
  });

  for (const release of Object.keys(handWritten)) {
    it(`${release}: byte-identical render, masked output`, async () => {
      const expected = await renderByHand(release);
      let printed = '';
      const [cluster, chart] = release.split('/');
      const [rendered] = await template(ws, { target: chart, cluster }, (text) => (printed += text));
      expect(rendered.manifest).toBe(expected);
      const { maskKey } = await openSecrets(repoRoot, { keyless: false });
      const leaves = handWritten[release].secrets ? (await decryptedSecrets()).leaves : [];
      expect(printed).toBe(createMasker({ secrets: leaves, key: maskKey }).mask(expected));
    });
  }

  it('--outputDir writes one masked file per release and prints their paths', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'template-out-'));
    let printed = '';
    await template(ws, { target: 'gitops', outputDir: dir }, (text) => (printed += text));
    const file = path.join(dir, 'home', 'gitops.yaml');
    expect(printed).toBe(`${path.relative(repoRoot, file)}\n`);
    const { leaves } = await decryptedSecrets();
    const { maskKey } = await openSecrets(repoRoot, { keyless: false });
    expect(await readFile(file, 'utf8')).toBe(createMasker({ secrets: leaves, key: maskKey }).mask(await renderByHand('home/gitops')));
  });

  it('an unknown chart is one line naming the known charts, and a non-zero exit', async () => {
    const result = await execa(path.join(repoRoot, 'hack', 'template'), ['grafana'], { cwd: repoRoot, env: childEnv(), reject: false });
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(
      '✖ unknown chart or release "grafana" — known charts: argocd, arr, cert-manager, gitops, jellyfin, monitoring, networking, root, system, whoami',
    );
  });

  it('nx run monitoring:template:lab prints the same masked render, of lab alone', async () => {
    const expected = await renderByHand('lab/monitoring');
    const { stdout } = await execa('npx', ['nx', 'run', 'monitoring:template:lab', '--skip-nx-cache'], { cwd: repoRoot, env: childEnv() });
    expect(stdout).not.toContain('# Release home/');
    const { leaves } = await decryptedSecrets();
    const { maskKey } = await openSecrets(repoRoot, { keyless: false });
    expect(stdout).toContain(createMasker({ secrets: leaves, key: maskKey }).mask(expected).trim());
    for (const leaf of leaves.filter((leaf: string) => leaf.length >= 8)) expect(stdout).not.toContain(leaf);
  });
});
