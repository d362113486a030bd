// `nx g @homelab/nx:service` through the real Nx in a throwaway copy of this workspace: the new service must
// render exactly like its hand-written helm command and pass lint, validate and check at once; existing YAML
// keeps every byte but the added lines; secrets.yaml gains an encrypted placeholder and nothing else changes.
import { execFileSync } from 'node:child_process';
import { renameSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkWorkspace } from '../../tools/homelab/src/core/commands/check.ts';
import { lint } from '../../tools/homelab/src/core/commands/lint.ts';
import { renderReleases } from '../../tools/homelab/src/core/commands/template.ts';
import { validate } from '../../tools/homelab/src/core/commands/validate.ts';
import { resolveHelm } from '../../tools/homelab/src/core/helm/helm.ts';
import { decryptFile } from '../../tools/homelab/src/core/secrets/index.ts';
import { openWorkspace } from '../../tools/homelab/src/core/resolve/workspace.ts';
import { createExampleRepo, nxEnv, type ExampleRepo } from '../affected/example-repo.ts';

let repo: ExampleRepo;
beforeAll(() => {
  repo = createExampleRepo();
});
afterAll(() => repo?.dispose());

function nx(args: string[], env: NodeJS.ProcessEnv = {}): { code: number; out: string } {
  try {
    const out = execFileSync(process.execPath, [path.join(repo.root, 'node_modules/nx/dist/bin/nx.js'), ...args], {
      cwd: repo.root,
      env: { ...nxEnv(), FORCE_COLOR: '0', NX_CACHE_DIRECTORY: path.join(repo.root, '.nx-test-cache'), ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    }).toString('utf8');
    return { code: 0, out };
  } catch (err) {
    const e = err as { status: number; stdout: Buffer; stderr: Buffer };
    return { code: e.status, out: `${e.stdout.toString('utf8')}${e.stderr.toString('utf8')}` };
  }
}

/** `git status --porcelain` of the copy, untracked files listed one by one. */
const status = () => repo.git('status', '--porcelain', '--untracked-files=all').split('\n').filter(Boolean).sort();

/** Lines the working tree adds to a file, after checking it removed none except `allowedRemovals`. */
function addedLines(file: string, allowedRemovals: RegExp[] = []): string[] {
  const diff = repo.git('diff', '--unified=0', '--', file).split('\n');
  const removed = diff.filter((l) => l.startsWith('-') && !l.startsWith('---'));
  for (const line of removed)
    expect(
      allowedRemovals.some((re) => re.test(line)),
      `removed: ${line}`,
    ).toBe(true);
  return diff.filter((l) => l.startsWith('+') && !l.startsWith('+++')).map((l) => l.slice(1));
}

describe('nx g @homelab/nx:service', () => {
  it('refuses without a usable age key in one line, before writing anything', () => {
    renameSync(path.join(repo.root, 'demo-age-key.txt'), path.join(repo.root, 'demo-key.aside'));
    try {
      const run = nx(['g', '@homelab/nx:service', 'nokey', '--cluster', 'home', '--tier', '20'], {
        HOME: path.join(repo.root, 'no-home'),
        SOPS_AGE_KEY: '',
        SOPS_AGE_KEY_FILE: '',
        SOPS_AGE_KEY_CMD: '',
      });
      expect(run.code).not.toBe(0);
      expect(run.out).toMatch(/^ NX {3}secrets\.yaml: no age key found \(looked in [^\n]*\) — [^\n]+$/m);
      expect(status()).toEqual([' D demo-age-key.txt', '?? demo-key.aside']);
    } finally {
      renameSync(path.join(repo.root, 'demo-key.aside'), path.join(repo.root, 'demo-age-key.txt'));
    }
    expect(status()).toEqual([]);
  });

  it("writes nothing with --dry-run, and refuses a tier at or below the namespaces' wave and a taken name", () => {
    const dry = nx(['g', '@homelab/nx:service', 'paperless', '--cluster', 'home', '--tier', '20', '--dry-run']);
    expect(dry.out).toContain('CREATE charts/paperless/Chart.yaml');
    expect(dry.code).toBe(0);
    expect(status()).toEqual([]);
    expect(nx(['g', '@homelab/nx:service', 'early', '--cluster', 'home', '--tier=-1']).out).toContain(
      'tier -1 is not above sync wave -1 of system, which creates the namespaces — use a tier above -1',
    );
    expect(nx(['g', '@homelab/nx:service', 'jellyfin', '--cluster', 'home', '--tier', '20']).out).toContain(
      'a chart named jellyfin exists already (charts/jellyfin) — choose another name',
    );
    expect(status()).toEqual([]);
  });

  it('apps tier: the ApplicationSet deploys the new chart, so only the chart, its namespace and the secrets placeholder are written', async () => {
    const before = await decryptFile(path.join(repo.root, 'secrets.yaml'), { workspaceRoot: repo.root });
    const run = nx(['g', '@homelab/nx:service', 'paperless', '--cluster', 'home', '--tier', '20']);
    expect(run.code).toBe(0);
    expect(run.out).toContain('no Application written: clusters/home/apps/apps.yaml (applicationset) already deploys it in sync wave 20');
    expect(status()).toEqual([
      ' M charts/system/values.yaml',
      ' M secrets.yaml',
      '?? charts/paperless/Chart.lock',
      '?? charts/paperless/Chart.yaml',
      '?? charts/paperless/templates/paperless.yaml',
      '?? charts/paperless/values.yaml',
    ]);
    expect(addedLines('charts/system/values.yaml')).toEqual(['  paperless:', '    podSecurity: restricted']);

    // Only the new entry and the MAC/date change; every other ciphertext keeps its IV. No plaintext on disk.
    const added = addedLines('secrets.yaml', [/^- {4}lastmodified: /, /^- {4}mac: ENC\[/]);
    expect(added.slice(0, 4).map((l) => l.replace(/ENC\[[^\]]+\]/, 'ENC[…]'))).toEqual(['#ENC[…]', 'paperless:', '    env:', '        EXAMPLE_SECRET: ENC[…]']);
    expect(repo.read('secrets.yaml')).not.toContain('replace-me');
    const after = await decryptFile(path.join(repo.root, 'secrets.yaml'), { workspaceRoot: repo.root });
    const { paperless, ...rest } = after.data as Record<string, unknown>;
    expect(paperless).toEqual({ env: { EXAMPLE_SECRET: 'replace-me' } });
    expect(rest).toEqual(before.data);
    expect(after.plaintext.toString()).toContain('# paperless: placeholder written by nx g @homelab/nx:service');
  });

  it('the new service renders exactly as ArgoCD would, and passes lint, validate and check', async () => {
    const ws = await openWorkspace(repo.root);
    const release = ws.resolution.releases.find((r) => r.chart === 'paperless')!;
    expect(release).toMatchObject({ origin: 'applicationset', wave: 20, namespace: 'paperless', name: 'paperless' });
    const [rendered] = await renderReleases(ws, [release], { keyless: false });
    const { bin } = await resolveHelm();
    const secrets = (await decryptFile(path.join(repo.root, 'secrets.yaml'), { workspaceRoot: repo.root })).plaintext;
    const byHand = await execa(
      bin,
      [
        'template',
        'paperless',
        'charts/paperless',
        '--namespace',
        'paperless',
        '--kube-version',
        '1.33.0',
        '-f',
        'charts/paperless/values.yaml',
        '-f',
        'clusters/home/values/global.yaml',
        '-f',
        '-',
        '--include-crds',
      ],
      { cwd: repo.root, input: secrets, stripFinalNewline: false },
    );
    expect(rendered.manifest).toBe(byHand.stdout);
    expect(rendered.manifest).toContain('name: paperless-env');
    expect(rendered.manifest).toContain('"EXAMPLE_SECRET": "replace-me"');

    const out: string[] = [];
    await lint(ws, { target: 'paperless' }, (t) => out.push(t));
    expect(out.join('')).toContain('1 chart(s) linted, 0 chart(s) failed');
    expect(await validate(ws, { target: 'paperless' }, () => undefined)).toEqual([]);
    const report = await checkWorkspace(repo.root);
    expect(report.findings).toEqual([]);
    expect(report.tiers).toEqual([
      'home: sync waves -10 argocd | -1 system | 0 cert-manager, networking | 10 gitops, monitoring | 20 arr, jellyfin, paperless, whoami',
      'lab: sync waves -10 argocd | -1 system | 0 networking | 10 monitoring',
    ]);
  });

  it('another tier and namespace: an Application file, the chart excluded from the ApplicationSet, the namespace confirmed', async () => {
    repo.commit('paperless');
    const run = nx([
      'g',
      '@homelab/nx:service',
      'vault',
      '--cluster',
      'home',
      '--tier',
      '10',
      '--namespace',
      'secrets-store',
      '--image',
      'docker.io/hashicorp/vault:1.20.0',
      '--port',
      '8200',
    ]);
    expect(run.code).toBe(0);
    expect(status()).toEqual([
      ' M charts/system/values.yaml',
      ' M clusters/home/apps/apps.yaml',
      ' M secrets.yaml',
      '?? charts/vault/Chart.lock',
      '?? charts/vault/Chart.yaml',
      '?? charts/vault/templates/vault.yaml',
      '?? charts/vault/values.yaml',
      '?? clusters/home/apps/vault.yaml',
    ]);
    expect(addedLines('clusters/home/apps/apps.yaml')).toEqual(['          - path: charts/vault', '            exclude: true']);
    expect(addedLines('charts/system/values.yaml')).toEqual(['  secrets-store:', '    podSecurity: restricted']);
    expect(repo.read('clusters/home/apps/vault.yaml')).toContain('    argocd.argoproj.io/sync-wave: "10"\n    homelab.dev/namespace: secrets-store\n');

    const ws = await openWorkspace(repo.root);
    const releases = ws.resolution.releases.filter((r) => r.chart === 'vault');
    expect(releases.map((r) => [r.origin, r.wave, r.namespace, r.definedIn[0], r.valueFiles.map((v) => v.raw)])).toEqual([
      [
        'application',
        10,
        'secrets-store',
        'clusters/home/apps/vault.yaml',
        ['values.yaml', '../../clusters/home/values/global.yaml', 'secrets://../../secrets.yaml'],
      ],
    ]);
    const [rendered] = await renderReleases(ws, releases, { keyless: true });
    expect(rendered.manifest).toContain('image: docker.io/hashicorp/vault:1.20.0\n');
    expect(await validate(ws, { target: 'vault' }, () => undefined)).toEqual([]);
    expect((await checkWorkspace(repo.root)).findings).toEqual([]);
    const project = JSON.parse(nx(['show', 'project', 'vault', '--json']).out) as { tags: string[] };
    expect(project.tags).toContain('wave:10');
  });
});
