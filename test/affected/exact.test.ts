// affected --exact: the file-level candidates narrowed by rendering both sides (real git, real Nx, real helm).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { computeAffected } from '../../tools/homelab/src/core/ci/affected.ts';
import { refineByRendering } from '../../tools/homelab/src/core/ci/exact.ts';
import { secretsDecrypter } from '../../tools/homelab/src/core/ci/secret-changes.ts';
import { decryptFile, editFile, rotateFile } from '../../tools/homelab/src/core/secrets/index.ts';
import { createExampleRepo, nxEnv, type ExampleRepo } from './example-repo.ts';

let repo: ExampleRepo;
let base: string;

/** One chart deployed twice, each Application with its own value file. */
const application = (name: string) => `apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: ${name}
  namespace: argocd
spec:
  project: homelab
  source:
    repoURL: https://github.com/example/homelab.git
    targetRevision: main
    path: charts/echo
    helm:
      valueFiles:
        - ../../clusters/home/values/${name}.yaml
  destination:
    server: https://kubernetes.default.svc
    namespace: ${name}
`;

/** A user cache of its own (the render cache lives there), so no test reads or fills the real one. */
function freshCacheHome(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'homelab-cache-'));
  cacheHomes.push(dir);
  vi.stubEnv('XDG_CACHE_HOME', dir);
  return dir;
}
const cacheHomes: string[] = [];

beforeAll(() => {
  freshCacheHome();
  vi.stubEnv('NX_ISOLATE_PLUGINS', 'false');
  vi.stubEnv('NX_DAEMON', 'false');
  vi.stubEnv('NX_NO_CLOUD', 'true');
  repo = createExampleRepo();
  repo.write('charts/echo/Chart.yaml', 'apiVersion: v2\nname: echo\nversion: 0.1.0\n');
  repo.write('charts/echo/values.yaml', 'message: hello\n');
  repo.write('charts/echo/templates/cm.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: echo\ndata:\n  message: {{ .Values.message | quote }}\n');
  for (const name of ['echo-a', 'echo-b']) {
    repo.write(`clusters/home/apps/${name}.yaml`, application(name));
    repo.write(`clusters/home/values/${name}.yaml`, `message: ${name}\n`);
  }
  base = repo.commit('echo deployed twice');
});

afterAll(() => {
  repo?.dispose();
  vi.unstubAllEnvs();
  for (const dir of cacheHomes) rmSync(dir, { recursive: true, force: true });
});

async function onBranch(name: string, change: () => void): Promise<string> {
  repo.git('checkout', '--quiet', '-B', name, base);
  change();
  return repo.commit(name);
}

describe('affected --exact', () => {
  it('drops the library dependents whose output a changed define does not change', async () => {
    // An edit inside a define every dependent includes (a comment alone changes no define: the file stage drops those).
    const head = await onBranch('library-define', () =>
      repo.write(
        'charts/common/templates/_names.tpl',
        repo
          .read('charts/common/templates/_names.tpl')
          .replace('| trunc 63 | trimSuffix "-" -}}\n{{- end -}}', '| trunc 63 | trimSuffix "-" | toString -}}\n{{- end -}}'),
      ),
    );
    const result = await computeAffected(repo.root, { base, head });
    const candidates = result.projects;
    expect(candidates.length).toBeGreaterThan(1);
    const exact = await refineByRendering(repo.root, result);
    expect(result.projects).toEqual([]);
    expect(exact.releases).toEqual([]);
    expect(exact.dropped.map((d) => d.project).sort()).toEqual(candidates);
    expect(exact.dropped[0].why).toMatch(/every release renders the same at base and head \(file-level: /);
  });

  it('keeps only the release whose value file changed, and says how its output changed', async () => {
    const head = await onBranch('one-release', () => repo.write('clusters/home/values/echo-a.yaml', 'message: changed\n'));
    const result = await computeAffected(repo.root, { base, head });
    expect(result.projects).toEqual(['echo']);
    const exact = await refineByRendering(repo.root, result);
    expect(result.projects).toEqual(['echo']);
    expect(exact.releases.map((r) => `${r.cluster}/${r.name}:${r.status}`)).toEqual(['home/echo-a:changed']);
    expect(exact.releases[0].resources.map((r) => `${r.change} ${r.kind}/${r.name}`)).toEqual(['changed ConfigMap/echo']);
    // The ApplicationSet's release of every chart directory (home/echo) renders the same too.
    expect(exact.unchanged).toEqual([
      { cluster: 'home', name: 'echo', chart: 'echo' },
      { cluster: 'home', name: 'echo-b', chart: 'echo' },
    ]);
    expect(result.reasons.echo).toEqual(['render: home/echo-a output changed (resources: 1 changed)']);
  });

  it('selects a release that starts failing to render, and a removed one, each with the reason (hack/affected --exact)', async () => {
    const head = await onBranch('fails-and-removed', () => {
      repo.write('charts/echo/templates/cm.yaml', `${repo.read('charts/echo/templates/cm.yaml')}  broken: {{ required "needs extra" .Values.extra }}\n`);
      repo.write('clusters/home/values/echo-b.yaml', 'message: echo-b\nextra: here\n');
      repo.remove('clusters/home/apps/echo-a.yaml');
      repo.write('clusters/home/apps/echo-c.yaml', application('echo-c'));
      repo.write('clusters/home/values/echo-c.yaml', 'message: echo-c\n');
    });
    const out = execFileSync(process.execPath, [path.join(repo.root, 'hack', 'affected'), '--base', base, '--head', head, '--exact', '--json'], {
      cwd: repo.root,
      env: nxEnv(),
      maxBuffer: 64 * 1024 * 1024,
    }).toString('utf8');
    const json = JSON.parse(out) as {
      projects: string[];
      reasons: Record<string, string[]>;
      exact: { releases: { name: string; chart: string; status: string }[] };
    };
    // root, the app-of-apps chart, renders the Application objects: two of them changed.
    expect(json.projects).toEqual(['echo', 'root']);
    expect(
      json.exact.releases
        .filter((r) => r.chart === 'echo')
        .map((r) => `${r.name}:${r.status}`)
        .sort(),
    ).toEqual(['echo-a:removed', 'echo-b:changed', 'echo-c:failed', 'echo:failed']);
    expect(json.reasons.echo.join('\n')).toMatch(/home\/echo-c failed to render at head: .*needs extra/);
    expect(json.reasons.echo.join('\n')).toMatch(/release home\/echo-a was removed/);
  });

  it('selects the chart an ApplicationSet and an Application both deploy under one name, with the reason, whatever it renders', async () => {
    // The generated Application echo lands in the ApplicationSet's namespace, argocd, where this one lives: one object, two writers.
    const head = await onBranch('collision', () => {
      repo.write('clusters/home/apps/echo.yaml', application('echo'));
      repo.write('clusters/home/values/echo.yaml', 'message: echo\n');
    });
    const result = await computeAffected(repo.root, { base, head });
    expect(result.reasons.echo).toContainEqual(expect.stringMatching(/^head: could not be resolved \(Application echo is defined twice in cluster home: /));
    const exact = await refineByRendering(repo.root, result);
    expect(result.projects).toContain('echo');
    expect(exact.unrendered.map((u) => u.project)).toContain('echo');

    // The same fight on both sides, and nothing either writer reads changed: nothing to select.
    repo.write('README.md', 'another line\n');
    const docs = repo.commit('docs while the collision stays');
    expect((await computeAffected(repo.root, { base: head, head: docs })).projects).not.toContain('echo');
    // A secret key the echo chart does not read (the generated writer lists the secrets file).
    await editFile(path.join(repo.root, 'secrets.yaml'), (doc) => doc.set(['monitoring', 'grafana', 'adminPassword'], 'collision'), {
      workspaceRoot: repo.root,
      env: {},
    });
    const secret = repo.commit('a key echo does not read');
    expect((await computeAffected(repo.root, { base: docs, head: secret })).projects).not.toContain('echo');
    // The second writer's value file changed: what it would deploy did.
    repo.write('clusters/home/values/echo.yaml', 'message: changed\n');
    const values = repo.commit('the second writer changes');
    const changed = await computeAffected(repo.root, { base: secret, head: values });
    expect(changed.reasons.echo).toContainEqual(expect.stringMatching(/^head: could not be resolved \(Application echo is defined twice/));
  });
});

describe('affected --exact renders nothing twice', () => {
  it('skips releases whose inputs are byte-identical, and takes the renders of a second run from the cache, which holds no secret', async () => {
    const cacheHome = freshCacheHome();
    const head = await onBranch('cached', () => repo.write('clusters/home/values/echo-b.yaml', 'message: cached\n'));
    const first = await refineByRendering(repo.root, await computeAffected(repo.root, { base, head }));
    // echo and echo-a read nothing that changed: neither side renders them.
    expect(first.report.work).toEqual({ rendered: { base: 1, head: 1 }, cached: 0, identical: 2 });
    expect(first.releases.map((r) => `${r.name}:${r.status}`)).toEqual(['echo-b:changed']);
    const second = await refineByRendering(repo.root, await computeAffected(repo.root, { base, head }));
    expect(second.report.work).toEqual({ rendered: { base: 0, head: 0 }, cached: 2, identical: 2 });
    expect(second.releases).toEqual(first.releases);

    const store = path.join(cacheHome, 'homelab', 'renders');
    const stored = readdirSync(store, { recursive: true, withFileTypes: true }).filter((e) => e.isFile() && e.name.endsWith('.yaml'));
    expect(stored).toHaveLength(2);
    const { leaves } = await decryptFile(path.join(repo.root, 'secrets.yaml'), { workspaceRoot: repo.root, env: {} });
    const texts = stored.map((entry) => readFileSync(path.join(entry.parentPath, entry.name), 'utf8'));
    expect(texts.map((t) => /message: "(.*)"/.exec(t)?.[1]).sort()).toEqual(['cached', 'echo-b']);
    for (const secret of leaves.filter((l) => l.length >= 6)) for (const text of texts) expect(text).not.toContain(secret);
  });
});

describe('affected --exact decides secret reads through tpl by rendering', () => {
  /**
   * Generated Applications get their chart's key of secrets.yaml: tplsecret prints its token through tpl, tplcond
   * tests its flag in a tpl'd condition, tplplain tpl's a plain string.
   */
  const tplChart = (name: string, message: string) => {
    repo.write(`charts/${name}/Chart.yaml`, `apiVersion: v2\nname: ${name}\nversion: 0.1.0\n`);
    repo.write(`charts/${name}/values.yaml`, `message: ${message}\n`);
    repo.write(
      `charts/${name}/templates/cm.yaml`,
      `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\ndata:\n  message: {{ tpl .Values.message . | quote }}\n`,
    );
  };
  const setSecret = (key: string[], value: string) =>
    editFile(path.join(repo.root, 'secrets.yaml'), (doc) => doc.set(key, value), { workspaceRoot: repo.root, env: {} });
  let tplBase: string;

  beforeAll(async () => {
    repo.git('checkout', '--quiet', '-B', 'tpl', base);
    tplChart('tplsecret', '"token {{ .Values.tplsecret.token }}"');
    tplChart('tplplain', '"release {{ .Release.Name }}"');
    tplChart('tplcond', `'{{ if eq .Values.tplcond.flag "on" }}flag on{{ else }}flag off{{ end }}'`);
    await setSecret(['tplsecret', 'token'], 'the-first-token-value');
    await setSecret(['tplcond', 'flag'], 'off');
    tplBase = repo.commit('charts reading values through tpl');
  });

  it('keyless: the reader of the changed key renders differently (ciphertext-derived placeholders); tpl charts of other keys are no candidates', async () => {
    repo.git('checkout', '--quiet', '-B', 'tpl-keyless', tplBase);
    await setSecret(['tplsecret', 'token'], 'the-second-token-value');
    const head = repo.commit('token changed');
    const result = await computeAffected(repo.root, { base: tplBase, head });
    // File level: a tpl chart may read any value, but receives only its own chart's key of secrets.yaml.
    expect(result.projects).toEqual(['tplsecret']);
    expect(result.reasons.tplsecret).toEqual([
      'secrets: secrets.yaml key tplsecret.token changed and charts/tplsecret/templates/cm.yaml uses tpl (a render shows whether it reads the key)',
    ]);
    const exact = await refineByRendering(repo.root, result);
    expect(result.projects).toEqual(['tplsecret']);
    expect(exact.releases.map((r) => `${r.name}:${r.status}`)).toEqual(['tplsecret:changed']);
    const { diff } = exact.releases[0].resources[0];
    expect(diff).toMatch(/^-.*"token placeholder-tplsecret\.token-[0-9a-f]{8}"$/m);
    expect(diff).toMatch(/^\+.*"token placeholder-tplsecret\.token-[0-9a-f]{8}"$/m);
    expect(exact.dropped).toEqual([]);
    expect(exact.unrendered).toEqual([]);
  });

  it('keyless: a tpl chart whose changed key shows in no placeholder render (a condition on it) stays selected, with why', async () => {
    repo.git('checkout', '--quiet', '-B', 'tpl-keyless-cond', tplBase);
    await setSecret(['tplcond', 'flag'], 'on');
    const head = repo.commit('flag switched on');
    const result = await computeAffected(repo.root, { base: tplBase, head });
    expect(result.projects).toEqual(['tplcond']);
    const exact = await refineByRendering(repo.root, result);
    // Both placeholder renders say "flag off"; the real output says "flag on" at head.
    expect(exact.releases).toEqual([]);
    const why =
      'secrets: secrets.yaml key tplcond.flag changed and charts/tplcond/templates/cm.yaml uses tpl; its placeholder renders are the same, but without the age key a condition on the changed value cannot be decided';
    expect(exact.unrendered).toEqual([{ project: 'tplcond', why: [why] }]);
    expect(exact.dropped).toEqual([]);
    expect(result.projects).toEqual(['tplcond']);
    expect(result.reasons.tplcond).toEqual([why]);
  });

  it('a key of another chart selects no tpl chart, keyless or with the age key; a key read by name stays selected keyless', async () => {
    repo.git('checkout', '--quiet', '-B', 'tpl-by-name', tplBase);
    await setSecret(['arr', 'apiKeys', 'sonarr'], 'a-new-sonarr-key');
    const head = repo.commit('sonarr key changed');
    const result = await computeAffected(repo.root, { base: tplBase, head });
    expect(result.projects).toEqual(['arr']);
    const exact = await refineByRendering(repo.root, result);
    expect(exact.unrendered).toEqual([{ project: 'arr', why: ['secrets: secrets.yaml key arr.apiKeys.sonarr changed and its templates read it'] }]);
    expect(result.projects).toEqual(['arr']);

    const decrypt = await secretsDecrypter(repo.root);
    expect(decrypt).toBeDefined();
    const keyed = await computeAffected(repo.root, { base: tplBase, head, decrypt });
    expect(keyed.projects).toEqual(['arr']);
    expect(keyed.reasons.arr).toEqual(['secrets: secrets.yaml key arr.apiKeys.sonarr changed and its templates read it']);
  });

  it('with the age key: renders with the real values decide, a value used only in a condition too, and nothing decrypted is printed or stored', async () => {
    const decrypt = await secretsDecrypter(repo.root);
    expect(decrypt).toBeDefined();
    repo.git('checkout', '--quiet', '-B', 'tpl-keyed', tplBase);
    await setSecret(['tplcond', 'flag'], 'on');
    const head = repo.commit('flag switched on');
    const cacheHome = freshCacheHome();
    const result = await computeAffected(repo.root, { base: tplBase, head, decrypt });
    expect(result.projects).toEqual(['tplcond']);
    const exact = await refineByRendering(repo.root, result);
    // tplcond's placeholder changed and its output did not; its real output did.
    expect(exact.releases.map((r) => `${r.name}:${r.status}`)).toEqual(['tplcond:changed']);
    expect(exact.releases[0].resources).toEqual([
      { change: 'changed', kind: 'ConfigMap', namespace: '', name: 'tplcond', diff: '(only secret values differ: compared with the age key, not shown)\n' },
    ]);
    expect(exact.dropped).toEqual([]);
    expect(exact.unrendered).toEqual([]);
    expect(result.projects).toEqual(['tplcond']);

    const { leaves } = await decryptFile(path.join(repo.root, 'secrets.yaml'), { workspaceRoot: repo.root, env: {} });
    const printed = JSON.stringify({ reasons: result.reasons, exact });
    const store = path.join(cacheHome, 'homelab', 'renders');
    const stored = readdirSync(store, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile() && e.name.endsWith('.yaml'))
      .map((entry) => readFileSync(path.join(entry.parentPath, entry.name), 'utf8'));
    expect(stored.length).toBeGreaterThan(0);
    for (const secret of leaves.filter((l) => l.length >= 6)) for (const text of [printed, ...stored]) expect(text).not.toContain(secret);
    expect(printed).not.toContain('flag on');

    // A new data key changes every ciphertext, so every placeholder, and no value: the real renders say so.
    await rotateFile(path.join(repo.root, 'secrets.yaml'), { workspaceRoot: repo.root, env: {} });
    repo.write('charts/tplsecret/values.yaml', `${repo.read('charts/tplsecret/values.yaml')}# a comment\n`);
    const rotated = repo.commit('secrets re-encrypted, a comment in a values file');
    const candidates = await computeAffected(repo.root, { base: head, head: rotated, decrypt });
    expect(candidates.projects).toContain('tplsecret');
    const refined = await refineByRendering(repo.root, candidates);
    expect(refined.releases).toEqual([]);
    expect(candidates.projects).toEqual([]);
  });
});
