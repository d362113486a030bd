// Many releases at once through the real bin: several names, --all and the selectors run in wave order, each release's
// output exactly what the command prints for it alone; a failure does not stop the others (unless --fail-fast), and
// each failure is one line at the end. Plain lines without a terminal, the listr2 view on one. Also --set/-f and -o.
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import { execa } from 'execa';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createExampleRepo, type ExampleRepo } from '../affected/example-repo.ts';
import { writeClusterWorkspace } from '../helpers/cluster-workspace.ts';
import { startFakeApiServer, type FakeApiServer } from '../helpers/fake-apiserver.ts';
import { writeKubeconfig } from '../helpers/kubeconfig.ts';
import { hasPty, runOnTerminal } from '../support/pty.ts';
import { childEnv } from '../support/workspace.ts';
import { resolveHelm } from '../../tools/homelab/src/core/helm/helm.ts';

/** CI unset: these runs are about what a person sees (the view is off in CI whatever the terminal). */
const env = () => childEnv({ CI: '' });

let repo: ExampleRepo;
/** The homelab bin of the example copy's own build (the workspace's may be rebuilt while tests run). */
let bin: string;
let api: FakeApiServer;
let cluster: string;
let kubeconfig: string;

beforeAll(async () => {
  repo = createExampleRepo();
  const { bin: bins } = JSON.parse(repo.read('tools/homelab/package.json')) as { bin: { homelab: string } };
  bin = path.join(repo.root, 'tools/homelab', bins.homelab);
  api = await startFakeApiServer();
  // A small repository whose charts really install on the in-memory API server: base (wave -1), demo (wave 10),
  // and broken (wave 5), whose template fails.
  cluster = await writeClusterWorkspace(api.url);
  await writeFile(path.join(cluster, 'nx.json'), '{}\n');
  await mkdir(path.join(cluster, 'charts/broken/templates'), { recursive: true });
  await writeFile(path.join(cluster, 'charts/broken/Chart.yaml'), 'apiVersion: v2\nname: broken\nversion: 0.1.0\n');
  await writeFile(path.join(cluster, 'charts/broken/templates/cm.yaml'), '{{ .Values.nope.deeper }}\n');
  const app = (await import('node:fs')).readFileSync(path.join(cluster, 'clusters/home/apps/base.yaml'), 'utf8');
  await writeFile(path.join(cluster, 'clusters/home/apps/broken.yaml'), app.replaceAll('base', 'broken').replace('sync-wave: "-1"', 'sync-wave: "5"'));
  kubeconfig = await writeKubeconfig([{ name: 'home', server: api.url }]);
});
afterAll(async () => {
  await api?.close();
  repo?.dispose();
  if (cluster) await rm(cluster, { recursive: true, force: true });
});

async function homelab(cwd: string, ...args: string[]) {
  const child = await execa(process.execPath, [bin, ...args], { cwd, env: env(), reject: false, stdin: 'ignore', stripFinalNewline: false });
  return { exitCode: child.exitCode, stdout: String(child.stdout), stderr: String(child.stderr) };
}

/** The lines a run printed on stderr that are failures (✖) or releases not run (-). */
const failureLines = (stderr: string) => stderr.split('\n').filter((l) => l.startsWith('✖') || l.startsWith('- '));

describe('template of many releases', () => {
  it('is the single renders, byte for byte, each after its release comment, in wave order', async () => {
    const many = await homelab(repo.root, 'template', 'arr', 'home/monitoring', '--keyless');
    expect(many.exitCode, many.stderr).toBe(0);
    const single = async (name: string) => (await homelab(repo.root, 'template', `home/${name}`, '--keyless')).stdout;
    // monitoring is wave 10, arr wave 20: the order is ArgoCD's, not the one typed.
    expect(many.stdout).toBe(
      `# Release home/monitoring (namespace monitoring)\n${await single('monitoring')}# Release home/arr (namespace arr)\n${await single('arr')}`,
    );
  });

  it('--tier apps and --wave 20 select the same releases', async () => {
    const comments = (text: string) => text.split('\n').filter((l) => l.startsWith('# Release '));
    const tier = await homelab(repo.root, 'template', '--tier', 'apps', '--cluster', 'home', '--keyless');
    expect(tier.exitCode, tier.stderr).toBe(0);
    expect(comments(tier.stdout)).toEqual([
      '# Release home/arr (namespace arr)',
      '# Release home/jellyfin (namespace jellyfin)',
      '# Release home/whoami (namespace whoami)',
    ]);
    expect((await homelab(repo.root, 'template', '--wave', '20', '--cluster', 'home', '--keyless')).stdout).toBe(tier.stdout);
  });

  it('a selector matching nothing is one line naming the waves there are', async () => {
    const result = await homelab(repo.root, 'template', '--wave', '7', '--keyless');
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr.trim()).toMatch(
      /^✖ no release matches --wave 7 — waves: -10 \(infrastructure\), .*20 \(apps\); tiers: infrastructure, platform, apps$/,
    );
  });
});

describe('install, status and uninstall of many releases on the in-memory API server', () => {
  it('install --all: wave order, the broken release fails in one line, the others are installed; exit 1', async () => {
    const result = await homelab(cluster, 'install', '--all', '--kubeconfig', kubeconfig, '--wait', 'legacy', '--timeout', '60s');
    expect(result.exitCode, result.stdout + result.stderr).toBe(1);
    const headings = result.stdout.split('\n').filter((l) => l.startsWith('== '));
    expect(headings).toEqual([
      '== [1/3] install home/base (wave -1)',
      '== [2/3] install home/broken (wave 5)',
      expect.stringMatching(/^== failed: install home\/broken \(wave 5\): helm upgrade --install of home\/broken failed: /),
      '== [3/3] install home/demo (wave 10)',
      '== install: 3 releases, 2 done, 1 failed, 0 skipped',
    ]);
    expect(failureLines(result.stderr)).toEqual([
      expect.stringMatching(/^✖ install home\/broken \(wave 5\): helm upgrade --install of home\/broken failed: .*nope/),
    ]);
    expect([...api.objects.keys()].filter((k) => k.includes('sh.helm.release.v1.')).sort()).toEqual([
      'apps/secrets/sh.helm.release.v1.demo.v1',
      'base/secrets/sh.helm.release.v1.base.v1',
    ]);
  });

  it('--fail-fast stops at the failure: the rest is listed as not run', async () => {
    const result = await homelab(cluster, 'install', 'demo', 'broken', '--fail-fast', '--kubeconfig', kubeconfig, '--wait', 'legacy', '--timeout', '60s');
    expect(result.exitCode).toBe(1);
    expect(failureLines(result.stderr)).toEqual([
      expect.stringMatching(/^✖ install home\/broken \(wave 5\): /),
      '- install home/demo (wave 10): not run (an earlier release failed)',
    ]);
  });

  it('status -o json: one list of records with fixed keys, for every release selected', async () => {
    const result = await homelab(cluster, 'status', 'base', 'demo', '-o', 'json', '--kubeconfig', kubeconfig);
    expect(result.exitCode, result.stderr).toBe(0);
    const records = JSON.parse(result.stdout) as Record<string, unknown>[];
    expect(records.map((r) => Object.keys(r))).toEqual(Array(2).fill(['cluster', 'release', 'namespace', 'chart', 'wave', 'tier', 'helm', 'argocd']));
    // The in-memory API server serves ArgoCD's Application kind, and holds no Application.
    expect(records.map((r) => [r.release, r.tier, (r.helm as { status: string }).status, (r.argocd as { state: string }).state])).toEqual([
      ['base', 'infrastructure', 'deployed', 'not-in-cluster'],
      ['demo', 'platform', 'deployed', 'not-in-cluster'],
    ]);
    const yaml = await homelab(cluster, 'status', 'base', 'demo', '-o', 'yaml', '--kubeconfig', kubeconfig);
    expect(parse(yaml.stdout)).toEqual(records);
  });

  it('uninstall of several: refused without a terminal (listing them) unless --yes; then the highest wave first', async () => {
    const refused = await homelab(cluster, 'uninstall', 'base', 'demo', '--force', '--kubeconfig', kubeconfig);
    expect(refused.exitCode).toBe(1);
    expect(refused.stderr.trim().split('\n').at(-1)).toBe(
      '✖ refusing to uninstall home/demo, home/base without confirmation: no terminal to ask on — pass --yes to confirm non-interactively',
    );
    if (hasPty) {
      // On a terminal: one question naming the whole set; "n" changes nothing.
      const before = api.writes().length;
      const { shown, code } = await runOnTerminal(
        [process.execPath, bin, 'uninstall', 'base', 'demo', '--force', '--kubeconfig', kubeconfig],
        [['[y/N]', 'n\r']],
        { env: env(), cwd: cluster, size: [50, 200] },
      );
      const screen = stripVTControlCharacters(shown);
      expect(code, screen).toBe(1);
      expect(screen.match(/Uninstall .*\?/g)).toEqual(['Uninstall 2 releases, highest wave first: home/demo, home/base (PVCs and other data kept)?']);
      expect(screen).toContain('✖ uninstall not confirmed: nothing was changed — answer y to proceed, or pass --yes');
      expect(api.writes().length).toBe(before);
    }
    const tier0 = await homelab(cluster, 'uninstall', '--all', '--yes', '--kubeconfig', kubeconfig);
    expect(tier0.stderr.trim().split('\n').at(-1)).toBe(
      '✖ refusing to uninstall home/base: it is tier 0 (sync wave -1), everything else runs on it — pass --force if you really mean it',
    );
    const before = api.requests.length;
    const result = await homelab(cluster, 'uninstall', 'base', 'demo', '--yes', '--force', '--kubeconfig', kubeconfig, '--wait', 'legacy');
    expect(result.exitCode, result.stdout + result.stderr).toBe(0);
    const deletes = api.requests
      .slice(before)
      .filter((r) => r.method === 'DELETE' && r.path.includes('sh.helm.release.v1.'))
      .map((r) => r.path.replace(/.*sh\.helm\.release\.v1\./, ''));
    expect(deletes).toEqual(['demo.v1', 'base.v1']);
  });
});

describe('diff of many releases', () => {
  it('plain lines without a terminal: each section is the single diff, exit 1 for drift', async () => {
    const many = await homelab(cluster, 'diff', 'demo', 'base', '--kubeconfig', kubeconfig);
    const demo = await homelab(cluster, 'diff', 'demo', '--kubeconfig', kubeconfig);
    const base = await homelab(cluster, 'diff', 'base', '--kubeconfig', kubeconfig);
    // Uninstalled above: nothing of base is live, so it drifts.
    expect(base.exitCode, base.stderr).toBe(1);
    expect(many.exitCode).toBe(Math.max(demo.exitCode ?? 2, base.exitCode ?? 2));
    // The in-memory API server gives each dry-run object a new uid.
    const uids = (text: string) => text.replace(/uid: uid-\d+/g, 'uid: <uid>');
    expect(uids(many.stdout)).toBe(
      uids(
        `== [1/2] diff home/base (wave -1)\n${base.stdout}== [2/2] diff home/demo (wave 10)\n${demo.stdout}== diff: 2 releases, 2 done, 0 failed, 0 skipped\n`,
      ),
    );
  });

  it.skipIf(!hasPty)('on a terminal: the listr2 view, a line per release with its outcome', async () => {
    const { shown, code } = await runOnTerminal([process.execPath, bin, 'diff', 'base', 'demo', '--kubeconfig', kubeconfig, '--dry-run'], [], {
      env: env(),
      cwd: cluster,
      size: [50, 160],
    });
    const screen = stripVTControlCharacters(shown);
    expect(code, screen).toBe(0);
    expect(screen).not.toContain('== [1/2]');
    expect(screen).toContain('✔ diff home/base (wave -1)');
    expect(screen).toContain('✔ diff home/demo (wave 10)');
    // Each release's output stays under it in the view.
    expect(screen).toContain('› # diff home/demo (namespace apps, chart charts/demo, wave 10)');
  });
});

describe('--set, --set-string and -f', () => {
  it("are applied after the Application's values, with one line on stderr saying the render is not ArgoCD's", async () => {
    const file = path.join(repo.root, 'mine.yaml');
    writeFileSync(file, 'prometheus:\n  image:\n    tag: v0.0.1-file\n');
    const plain = await homelab(repo.root, 'template', 'home/monitoring', '--keyless');
    const set = await homelab(repo.root, 'template', 'home/monitoring', '--keyless', '--set', 'prometheus.image.tag=v0.0.2-set');
    const both = await homelab(repo.root, 'template', 'home/monitoring', '--keyless', '-f', 'mine.yaml', '--set-string', 'prometheus.image.tag=v0.0.3');
    expect(set.exitCode, set.stderr).toBe(0);
    expect(set.stderr).toBe("! --set/--set-string/-f: your values are applied after the Application's; this is not what ArgoCD renders\n");
    // The tag changed where the chart prints it (image, version label), nothing else.
    const asTag = (text: string, tag: string) => text.replaceAll('v3.5.0', tag);
    expect(set.stdout).toBe(asTag(plain.stdout, 'v0.0.2-set'));
    expect(set.stdout).not.toBe(plain.stdout);
    // helm's precedence: --set after every -f.
    expect(both.stdout).toBe(asTag(plain.stdout, 'v0.0.3'));
    const file2 = await homelab(repo.root, 'template', 'home/monitoring', '--keyless', '--values', 'mine.yaml');
    expect(file2.stdout).toBe(asTag(plain.stdout, 'v0.0.1-file'));
  });

  it("install prints them after ArgoCD's value flags; verify, ArgoCD's fidelity check, has none", async () => {
    // No context of the declared cluster in it: the offline preview.
    const elsewhere = await writeKubeconfig([{ name: 'other', server: api.url }]);
    const result = await homelab(repo.root, 'install', 'home/monitoring', '--dry-run', '--set', 'a=b', '--kubeconfig', elsewhere);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/--values - --set a=b --take-ownership/);
    const verify = await homelab(repo.root, 'verify', '--set', 'a=b');
    expect(verify.exitCode).toBe(1);
    expect(verify.stderr).toContain("Unknown option '--set'");
  });

  it('refused in one line where they cannot apply', async () => {
    expect((await homelab(repo.root, 'template', 'whoami', '--set', 'a=b')).stderr.split('\n').filter((l) => l.startsWith('✖'))).toEqual([
      '✖ --set and -f are values of a Helm chart; home/whoami is a Kustomize source, which has none — drop --set/-f',
    ]);
    expect((await homelab(repo.root, 'template', 'monitoring', '-f', '-')).stderr.trim()).toBe(
      '✖ -f - (standard input) is not supported: stdin carries the decrypted secrets — write the values to a file and pass -f <file>',
    );
  });
});

describe('secrets of many releases', () => {
  it("each release's helm reads only its own chart's key of secrets.yaml", async () => {
    // A helm that appends the top-level keys (never the values) of what it reads on stdin, then renders.
    const record = path.join(repo.root, 'keys.txt');
    const shim = path.join(repo.root, 'helm-shim.sh');
    const { bin: helmBin } = await resolveHelm();
    writeFileSync(
      shim,
      [
        '#!/bin/bash',
        'if [ "$1" = template ]; then',
        '  values=$(cat)',
        `  printf '%s\\n' "$values" | grep -oE '^[^ #-][^:]*:' | tr -d ':' | sort | tr '\\n' ' ' >> "$RECORD"; echo >> "$RECORD"`,
        `  printf '%s\\n' "$values" | exec ${JSON.stringify(helmBin)} "$@"`,
        'fi',
        `exec ${JSON.stringify(helmBin)} "$@"`,
        '',
      ].join('\n'),
    );
    chmodSync(shim, 0o755);
    const child = await execa(process.execPath, [bin, 'template', 'home/monitoring', 'home/gitops'], {
      cwd: repo.root,
      env: childEnv({ CI: '', HELM_BIN: shim, RECORD: record }),
      reject: false,
      stdin: 'ignore',
    });
    expect(child.exitCode, String(child.stderr)).toBe(0);
    expect(readFileSync(record, 'utf8').split('\n').filter(Boolean).sort()).toEqual(['gitops ', 'monitoring ']);
  });
});

describe('completion', () => {
  it('--tier and --output complete their words', async () => {
    const complete = async (...words: string[]) => (await homelab(repo.root, '__complete', ...words)).stdout.split('\n').filter(Boolean);
    expect(await complete('diff', '--tier', '')).toEqual(['apps', 'infrastructure', 'platform']);
    expect(await complete('status', '--output', 'y')).toEqual(['yaml']);
    expect(await complete('uninstall', '--f')).toEqual(['--fail-fast', '--force']);
  });
});
