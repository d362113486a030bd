// Benchmark: precision and recall of the affected set against the ground truth "releases whose rendered output
// changed", on a synthetic history built on a copy of the example workspace, plus the time each method takes.
//
//   npm run bench -- affected [--commits <one per kind>] [--seed 1] [--verbose] [--library-only]
//
// Then a generated workspace: 100 charts, 40 of them depend on the library chart, a library change alters the output
// of 3: `--exact` must select exactly those 3 (target: ≤ 10 s cold on 2 cores; measured time and load printed).
//
// Ground truth: after every commit each release is rendered with the real (demo) age key, exactly as ArgoCD
// would; a release is changed when its output (or its render error) differs from the previous commit, or when
// it appears or disappears. A method selects the releases of the charts it names (at head and at base), plus
// the releases of charts it reports deleted; `--exact` selects releases, not charts (what its renders show changed,
// plus the releases of charts it keeps whatever their renders show, e.g. one that could not be resolved).
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { computeAffected, type AffectedResult } from '../tools/homelab/src/core/ci/affected.ts';
import { describeChange, refineByRendering } from '../tools/homelab/src/core/ci/exact.ts';
import { errorLine } from '../tools/homelab/src/core/model/errors.ts';
import { buildDependencies } from '../tools/homelab/src/core/helm/render.ts';
import { renderAnyRelease } from '../tools/homelab/src/core/render/index.ts';
import { secretsDecrypter } from '../tools/homelab/src/core/ci/secret-changes.ts';
import { editFile, openSecrets, rotateFile } from '../tools/homelab/src/core/secrets/index.ts';
import { openWorkspace } from '../tools/homelab/src/core/resolve/workspace.ts';
import { createExampleRepo, nxAffected, type ExampleRepo } from '../test/affected/example-repo.ts';

/** hack/affected's target: every release whose render changed is selected. */
const RECALL_TARGET = 'recall 100%';
/** --exact's: that, and at most 5% of what it selects renders the same (only what cannot be rendered offline). */
const PRECISION_TARGET = 0.95;
const EXACT_TARGET = `${RECALL_TARGET}, precision ≥ ${PRECISION_TARGET * 100}%`;

type Renders = Map<string, { chart: string; output: string }>;

interface Change {
  kind: string;
  /** Applies the change; false when it does not apply to the current state (another one is drawn). */
  apply: (repo: ExampleRepo, n: number, pick: <T>(items: T[]) => T) => boolean | Promise<boolean>;
}

const SECRET_KEYS = [
  ['monitoring', 'grafana', 'adminPassword'],
  ['monitoring', 'alertmanager', 'smtp', 'password'],
  ['monitoring', 'alertmanager', 'webhookUrl'],
  ['gitops', 'repository', 'token'],
  ['gitops', 'renovate', 'token'],
  ['arr', 'apiKeys', 'sonarr'],
];

function appCharts(repo: ExampleRepo): string[] {
  return repo
    .git('ls-files', 'charts/*/Chart.yaml')
    .split('\n')
    .filter(Boolean)
    .filter((file) => !/^type:\s*library/m.test(repo.read(file)))
    .map((file) => file.split('/')[1]);
}

const append = (repo: ExampleRepo, file: string, text: string) => repo.write(file, repo.read(file) + text);
const sops = (repo: ExampleRepo) => ({ workspaceRoot: repo.root, env: {} });

/** The synthetic history's vocabulary: real changes and changes that render the same. */
const CHANGES: Change[] = [
  { kind: 'chart values (unused key)', apply: (r, n, pick) => (append(r, `charts/${pick(appCharts(r))}/values.yaml`, `\nbench${n}: unused\n`), true) },
  {
    kind: 'chart template (new object)',
    apply: (r, n, pick) => {
      const chart = pick(appCharts(r));
      r.write(`charts/${chart}/templates/bench-${n}.yaml`, `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: bench-${n}\ndata:\n  n: "${n}"\n`);
      return true;
    },
  },
  { kind: 'library (comment)', apply: (r, n) => (append(r, 'charts/common/templates/_names.tpl', `\n{{/* bench ${n} */}}\n`), true) },
  {
    kind: 'library (new label)',
    apply: (r, n) => {
      const file = 'charts/common/templates/_names.tpl';
      const text = r.read(file);
      const next = /bench\/revision: "\d+"/.test(text)
        ? text.replace(/bench\/revision: "\d+"/, `bench/revision: "${n}"`)
        : text.replace(/^(app\.kubernetes\.io\/managed-by: .*)$/m, `$1\nbench/revision: "${n}"`);
      r.write(file, next);
      return next !== text;
    },
  },
  {
    kind: 'Application (parameter)',
    apply: (r, n) => {
      const file = 'clusters/home/apps/monitoring.yaml';
      if (!r.git('ls-files', file).trim()) return false;
      r.write(file, r.read(file).replace(/value: \d+d/, `value: ${n}d`));
      return true;
    },
  },
  { kind: 'Application (comment)', apply: (r, n) => (append(r, 'clusters/home/apps/networking.yaml', `\n# bench ${n}\n`), true) },
  { kind: 'ApplicationSet (comment)', apply: (r, n) => (append(r, 'clusters/home/apps/apps.yaml', `\n# bench ${n}\n`), true) },
  {
    kind: 'shared values (timezone)',
    apply: (r, n) => {
      const file = 'clusters/home/values/global.yaml';
      r.write(file, r.read(file).replace(/timezone: \S+/, `timezone: Etc/GMT${n % 2 ? '+' : '-'}${(n % 11) + 1}`));
      return true;
    },
  },
  { kind: 'shared values (unused key)', apply: (r, n) => (append(r, 'clusters/home/values/global.yaml', `  bench${n}: unused\n`), true) },
  {
    kind: 'secrets (one key)',
    apply: async (r, n, pick) => {
      const key = pick(SECRET_KEYS);
      await editFile(path.join(r.root, 'secrets.yaml'), (doc) => doc.set(key, `bench-value-${n}`), sops(r));
      return true;
    },
  },
  {
    kind: 'secrets (unread key)',
    apply: async (r, n) => (await editFile(path.join(r.root, 'secrets.yaml'), (doc) => doc.set(['arr', `bench${n}`], `x${n}`), sops(r)), true),
  },
  {
    // tplsecret prints its token through tpl, tplplain uses tpl on a plain string: file-level, both may read it.
    kind: 'secrets (read via tpl)',
    apply: async (r, n) => (await editFile(path.join(r.root, 'secrets.yaml'), (doc) => doc.set(['tplsecret', 'token'], `tpl-token-${n}`), sops(r)), true),
  },
  { kind: 'secrets (re-encryption)', apply: async (r) => (await rotateFile(path.join(r.root, 'secrets.yaml'), sops(r)), true) },
  { kind: 'README', apply: (r, n) => (r.write('README.md', `# Homelab\n\nrevision ${n}\n`), true) },
  { kind: 'provision', apply: (r, n) => (append(r, 'provision/site.yaml', `\n# bench ${n}\n`), true) },
  {
    kind: 'new chart',
    apply: (r, n) => {
      r.write(`charts/bench${n}/Chart.yaml`, `apiVersion: v2\nname: bench${n}\nversion: 0.1.0\n`);
      r.write(`charts/bench${n}/values.yaml`, `message: hello ${n}\n`);
      r.write(
        `charts/bench${n}/templates/cm.yaml`,
        `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: bench${n}\ndata:\n  message: {{ .Values.message | quote }}\n`,
      );
      return true;
    },
  },
  { kind: 'docs inside a chart directory', apply: (r, n, pick) => (r.write(`charts/${pick(appCharts(r))}/NOTES-${n}.md`, `# note ${n}\n`), true) },
  {
    kind: 'ApplicationSet exclude flip',
    apply: (r) => {
      const file = 'clusters/home/apps/apps.yaml';
      const excluded = '          - path: charts/gitops\n            exclude: true\n';
      const text = r.read(file);
      r.write(
        file,
        text.includes(excluded)
          ? text.replace(excluded, '')
          : text.replace('          - path: charts/common\n', `${excluded}          - path: charts/common\n`),
      );
      return true;
    },
  },
  {
    kind: 'removed Application (chart kept)',
    apply: (r) => {
      const file = 'clusters/home/apps/networking.yaml';
      if (!r.git('ls-files', file).trim()) return false;
      r.remove(file);
      return true;
    },
  },
  {
    kind: 'chart moved between folders',
    apply: (r, n) => {
      const from = appCharts(r).find((c) => c === 'jellyfin' || /^moved\d+$/.test(c));
      if (!from) return false;
      r.git('mv', `charts/${from}`, `charts/moved${n}`);
      return true;
    },
  },
  {
    kind: 'deleted chart',
    apply: (r, _n, pick) => {
      const generated = appCharts(r).filter((c) => /^bench\d+$/.test(c) || c === 'jellyfin');
      if (generated.length === 0) return false;
      r.remove(`charts/${pick(generated)}`);
      return true;
    },
  },
];

/** Two generated charts that use `tpl`: one reads a secret key through it, one does not (for 'secrets (read via tpl)'). */
async function addTplCharts(repo: ExampleRepo): Promise<void> {
  for (const [name, message] of [
    ['tplsecret', '"token {{ .Values.tplsecret.token }}"'],
    ['tplplain', '"release {{ .Release.Name }}"'],
  ]) {
    repo.write(`charts/${name}/Chart.yaml`, `apiVersion: v2\nname: ${name}\nversion: 0.1.0\n`);
    repo.write(`charts/${name}/values.yaml`, `message: ${message}\n`);
    repo.write(
      `charts/${name}/templates/cm.yaml`,
      `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\ndata:\n  message: {{ tpl .Values.message . | quote }}\n`,
    );
  }
  await editFile(path.join(repo.root, 'secrets.yaml'), (doc) => doc.set(['tplsecret', 'token'], 'tpl-token-0'), sops(repo));
  repo.commit('charts reading values through tpl');
}

/**
 * Every release rendered with the real key, whatever its source (a chart, or a directory such as the root app's, whose
 * output is the Application objects); a failure counts as its output (an error is a change too).
 */
async function renderAll(repo: ExampleRepo): Promise<Renders> {
  const ws = await openWorkspace(repo.root);
  const secrets = await openSecrets(repo.root, { keyless: false });
  const out: Renders = new Map();
  for (const chart of ws.resolution.charts.filter((c) => c.type === 'application')) {
    await buildDependencies(ws.root, ws.helm, chart).catch(() => undefined);
  }
  await Promise.all(
    ws.resolution.releases.map(async (release) => {
      const id = `${release.cluster}/${release.name}`;
      try {
        const rendered = await renderAnyRelease({ root: ws.root, helm: ws.helm, ...secrets }, release);
        out.set(id, { chart: release.chart, output: rendered.manifest });
      } catch (err) {
        out.set(id, { chart: release.chart, output: `error: ${errorLine(err)}` });
      }
    }),
  );
  return out;
}

function changedReleases(before: Renders, after: Renders): Set<string> {
  const ids = new Set([...before.keys(), ...after.keys()]);
  return new Set([...ids].filter((id) => before.get(id)?.output !== after.get(id)?.output));
}

/** The releases a selection of charts covers: their releases at head and at base. */
function releasesOf(charts: Iterable<string>, before: Renders, after: Renders): Set<string> {
  const wanted = new Set(charts);
  const out = new Set<string>();
  for (const renders of [before, after]) for (const [id, r] of renders) if (wanted.has(r.chart)) out.add(id);
  return out;
}

interface Score {
  tp: number;
  selected: number;
  truth: number;
  ms: number;
  commits: number;
}

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const pct = (a: number, b: number) => (b === 0 ? '100.0%' : `${((100 * a) / b).toFixed(1)}%`);

const LIBRARY_TARGET = 'exactly the 3 altered, ≤ 10 s cold on 2 cores';

/** Runs `fn` with an empty user cache (the render cache starts cold), removed afterwards. */
async function withFreshCache<T>(fn: () => Promise<T>): Promise<T> {
  const cacheHome = mkdtempSync(path.join(tmpdir(), 'homelab-bench-cache-'));
  const previous = process.env.XDG_CACHE_HOME;
  process.env.XDG_CACHE_HOME = cacheHome;
  try {
    return await fn();
  } finally {
    if (previous === undefined) delete process.env.XDG_CACHE_HOME;
    else process.env.XDG_CACHE_HOME = previous;
    rmSync(cacheHome, { recursive: true, force: true });
  }
}

/** 100 generated charts, 40 depending on the library, 3 of them including the helper a library commit changes. */
async function libraryScenario(): Promise<string[]> {
  const repo = createExampleRepo();
  try {
    const lock = repo.read('charts/arr/Chart.lock');
    const helper = (text: string) => `{{- define "common.benchNote" -}}\nnote: ${text}\n{{- end -}}\n`;
    repo.write('charts/common/templates/_bench.tpl', helper('base'));
    const altered: string[] = [];
    for (let i = 1; i <= 100; i += 1) {
      const name = `gen${String(i).padStart(3, '0')}`;
      const dependent = i <= 40;
      const dependency = 'dependencies:\n  - name: common\n    version: ~0.1.0\n    repository: file://../common\n';
      repo.write(`charts/${name}/Chart.yaml`, `apiVersion: v2\nname: ${name}\nversion: 0.1.0\n${dependent ? dependency : ''}`);
      if (dependent) repo.write(`charts/${name}/Chart.lock`, lock);
      repo.write(`charts/${name}/values.yaml`, '{}\n');
      const data = i <= 3 ? '{{ include "common.benchNote" . | nindent 2 }}' : `  chart: ${name}`;
      if (i <= 3) altered.push(name);
      repo.write(`charts/${name}/templates/cm.yaml`, `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\ndata:\n${data}\n`);
    }
    const base = repo.commit('100 generated charts');
    repo.write('charts/common/templates/_bench.tpl', helper('head'));
    const head = repo.commit('library helper changed');
    const load = loadavg()[0].toFixed(1);
    const run = async () => {
      const start = performance.now();
      const result = await computeAffected(repo.root, { base, head });
      const files = (performance.now() - start) / 1000;
      const candidates = result.projects.filter((p) => p.startsWith('gen')).length;
      const { work } = (await refineByRendering(repo.root, result)).report;
      const seconds = (performance.now() - start) / 1000;
      const selected = result.projects.filter((p) => p.startsWith('gen'));
      const renders = `${work.rendered.base} base + ${work.rendered.head} head rendered, ${work.cached} from the cache, ${work.identical} identical inputs`;
      return { seconds, files, candidates, selected, renders };
    };
    // Cold: no render cache (a fresh one for this run); warm: the same range again, as render-diff runs after affected.
    return await withFreshCache(async () => {
      const rows = [];
      for (const label of ['cold', 'warm (render cache)']) {
        const r = await run();
        const holds = r.selected.join(' ') === altered.join(' ') && (label !== 'cold' || r.seconds <= 10);
        rows.push(
          `| ${label} | ${r.candidates} | ${r.selected.join(' ') || '-'} | ${r.files.toFixed(1)} s | ${(r.seconds - r.files).toFixed(1)} s (${r.renders}) | ${r.seconds.toFixed(1)} s | ${LIBRARY_TARGET} ${holds ? '✅' : '❌'} |`,
        );
      }
      return [
        '',
        `Generated workspace: 100 charts, 40 depend on the library, a library commit alters 3 outputs (${availableParallelism()} cores, load average ${load} at the start).`,
        '',
        '| run | file-level candidates | --exact selects | files stage | render stage | total | target |',
        '| --- | --- | --- | --- | --- | --- | --- |',
        ...rows,
      ];
    });
  } finally {
    repo.dispose();
  }
}

export default async function main(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      // One commit per kind of change by default: each is measured.
      commits: { type: 'string', default: String(CHANGES.length) },
      seed: { type: 'string', default: '1' },
      verbose: { type: 'boolean' },
      'library-only': { type: 'boolean' },
    },
  });
  const commits = Number(values.commits);
  const random = mulberry32(Number(values.seed));
  const pick = <T>(items: T[]): T => items[Math.floor(random() * items.length)];
  for (const [k, v] of Object.entries({ NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_ISOLATE_PLUGINS: 'false' })) process.env[k] ??= v;
  delete process.env.SOPS_AGE_KEY;
  delete process.env.SOPS_AGE_KEY_FILE;
  if (values['library-only']) {
    process.stdout.write(`${(await libraryScenario()).join('\n')}\n`);
    return;
  }

  // The render cache starts empty: every commit's base renders are the previous commit's head renders, as in CI.
  await withFreshCache(async () => {
    const repo = createExampleRepo();
    try {
      await addTplCharts(repo);
      const decrypt = await secretsDecrypter(repo.root);
      let base = repo.git('rev-parse', 'HEAD').trim();
      let before = await renderAll(repo);
      const methods = ['all charts', 'nx affected -t render', 'hack/affected (keyless)', 'hack/affected (age key)', 'hack/affected --exact (age key)'];
      const scores = new Map(methods.map((m) => [m, { tp: 0, selected: 0, truth: 0, ms: 0, commits: 0 } as Score]));
      const rows: string[] = [];
      /** Releases --exact selects whose render did not change, with the reason it gives. */
      const overSelected: string[] = [];
      // Every kind once (in random order), then random draws: each kind is measured at least once.
      const plan = [...CHANGES];
      for (let i = plan.length - 1; i > 0; i -= 1) {
        const j = Math.floor(random() * (i + 1));
        [plan[i], plan[j]] = [plan[j], plan[i]];
      }
      for (let n = 1; n <= commits; n += 1) {
        let change = plan[n - 1] ?? pick(CHANGES);
        while (!(await change.apply(repo, n, pick))) change = pick(CHANGES);
        const head = repo.commit(`bench ${n}: ${change.kind}`);
        const after = await renderAll(repo);
        const truth = changedReleases(before, after);

        const timed = async <T>(f: () => Promise<T> | T): Promise<[T, number]> => {
          const start = performance.now();
          const value = await f();
          return [value, performance.now() - start];
        };
        const fromResult = (r: AffectedResult) => releasesOf([...r.projects, ...r.removedCharts], before, after);
        const [nx, nxMs] = await timed(() => nxAffected(repo, base, head));
        const [keyless, keylessMs] = await timed(() => computeAffected(repo.root, { base, head }));
        const [keyed, keyedMs] = await timed(() => computeAffected(repo.root, { base, head, decrypt }));
        const reasons = new Map<string, string>();
        const [exact, exactMs] = await timed(async () => {
          const result = await computeAffected(repo.root, { base, head, decrypt });
          const refined = await refineByRendering(repo.root, result);
          for (const r of refined.releases) reasons.set(`${r.cluster}/${r.name}`, describeChange(r));
          for (const { project, why } of refined.unrendered) for (const id of releasesOf([project], before, after)) reasons.set(id, why.join('; '));
          return new Set(reasons.keys());
        });
        const selections: [string, Set<string>, number][] = [
          ['all charts', new Set([...before.keys(), ...after.keys()]), 0],
          ['nx affected -t render', releasesOf(nx, before, after), nxMs],
          ['hack/affected (keyless)', fromResult(keyless), keylessMs],
          ['hack/affected (age key)', fromResult(keyed), keyedMs],
          ['hack/affected --exact (age key)', exact, exactMs],
        ];
        const cells: string[] = [];
        let hackMissed = false;
        for (const [method, selected, ms] of selections) {
          const s = scores.get(method)!;
          const tp = [...selected].filter((id) => truth.has(id)).length;
          s.tp += tp;
          s.selected += selected.size;
          s.truth += truth.size;
          s.ms += ms;
          s.commits += 1;
          const missed = [...truth].filter((id) => !selected.has(id));
          if (method.startsWith('hack/affected') && missed.length) hackMissed = true;
          const time = selected === exact ? ` in ${(ms / 1000).toFixed(1)} s` : '';
          cells.push(`${selected.size}${time}${missed.length ? ` (missed ${missed.join(' ')})` : ''}`);
        }
        for (const id of [...exact].filter((id) => !truth.has(id)).sort()) overSelected.push(`- commit ${n} (${change.kind}): ${id}: ${reasons.get(id)}`);
        rows.push(
          `| ${n} | ${change.kind} | ${[...truth].sort().join(' ') || '-'} | ${cells.slice(1).join(' | ')} | ${RECALL_TARGET} ${hackMissed ? '❌' : '✅'} |`,
        );
        if (values.verbose) process.stderr.write(`${rows.at(-1)}\n`);
        base = head;
        before = after;
      }

      const out = [
        `Synthetic history: ${commits} commits on the example workspace (seed ${values.seed}); ground truth = releases whose render (real key) changed.`,
        '',
        `Target: hack/affected (${RECALL_TARGET}) never misses a release whose render changed; Nx's and "all charts" are the comparison.`,
        '',
        '| # | change | releases whose render changed | nx affected | hack/affected keyless | hack/affected key | hack/affected --exact | target |',
        '| --- | --- | --- | --- | --- | --- | --- | --- |',
        ...rows,
        '',
        '| method | precision | recall | releases selected | releases changed | time per commit | target |',
        '| --- | --- | --- | --- | --- | --- | --- |',
        ...methods.map((m) => {
          const s = scores.get(m)!;
          const exactHolds = s.tp === s.truth && s.tp >= PRECISION_TARGET * s.selected;
          const target = m.endsWith('--exact (age key)')
            ? `${EXACT_TARGET} ${exactHolds ? '✅' : '❌'}`
            : m.startsWith('hack/affected')
              ? `${RECALL_TARGET} ${s.tp === s.truth ? '✅' : '❌'}`
              : 'none';
          return `| ${m} | ${pct(s.tp, s.selected)} | ${pct(s.tp, s.truth)} | ${s.selected} | ${s.truth} | ${m === 'all charts' ? '-' : `${(s.ms / s.commits / 1000).toFixed(2)} s`} | ${target} |`;
        }),
        '',
        `Releases --exact selected whose render did not change (each with its reason): ${overSelected.length === 0 ? 'none' : ''}`,
        ...overSelected,
      ];
      process.stdout.write(`${out.join('\n')}\n`);
    } finally {
      repo.dispose();
    }
  });
  process.stdout.write(`${(await libraryScenario()).join('\n')}\n`);
}
