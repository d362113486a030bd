import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveHelm } from '../helm/helm.ts';
import { RepoFiles } from '../workspace/repo-files.ts';
import { chartValueReads, readsPath, templateValueReads } from './value-reads.ts';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function workspace(files: Record<string, string>): string {
  const root = mkdtempSync(path.join(tmpdir(), 'homelab-reads-'));
  dirs.push(root);
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    writeFileSync(path.join(root, file), text);
  }
  return root;
}

const paths = (text: string) => templateValueReads(text, 't.yaml');

describe('templateValueReads', () => {
  it('collects .Values field chains from actions, whatever the root ($, .root, $ctx)', () => {
    const reads = paths('a: {{ .Values.a.b }}\nb: {{ $.Values.c | quote }}\n{{- with .root.Values.global.domain }}{{ . }}{{ end }}\n{{ $ctx.Values.d_e }}');
    expect(reads).toEqual({ all: false, paths: [['a', 'b'], ['c'], ['global', 'domain'], ['d_e']] });
  });

  it('reads literal index keys, and nothing from text outside actions or from comments', () => {
    const reads = paths('# .Values as a whole in a YAML comment\n{{/* toYaml .Values */}}\nx: {{ index .Values "my-app" "api-key" }}\n');
    expect(reads).toEqual({ all: false, paths: [['my-app', 'api-key']] });
  });

  it('gives up (everything) on a bare .Values, a non-literal index, tpl, or "Values" by name', () => {
    for (const text of ['{{ toYaml .Values }}', '{{ index .Values $key }}', '{{ tpl .Values.x.template . }}', '{{ get . "Values" }}']) {
      expect(paths(text).all, text).toBe(true);
    }
    // A file named *.tpl in a comment is not a call of tpl.
    expect(paths('{{- /* see _workload.tpl */ -}}{{ .Values.a }}').all).toBe(false);
  });
});

describe('readsPath', () => {
  it('matches when one path is a prefix of the other', () => {
    const reads = { all: false, paths: [['monitoring', 'grafana'], ['global']] };
    expect(readsPath(reads, ['monitoring', 'grafana', 'adminPassword'])).toBe(true);
    expect(readsPath(reads, ['monitoring'])).toBe(true);
    expect(readsPath(reads, ['monitoring', 'alertmanager'])).toBe(false);
    expect(readsPath(reads, ['arr', 'apiKeys'])).toBe(false);
    expect(readsPath({ all: true, paths: [] }, ['anything'])).toBe(true);
  });
});

const LIB = {
  'charts/lib/Chart.yaml': 'apiVersion: v2\nname: lib\nversion: 0.1.0\ntype: library\n',
  'charts/lib/templates/_helpers.tpl': '{{- define "lib.name" -}}{{ .root.Values.nameOverride | default .root.Chart.Name }}{{- end -}}\n',
};

describe('chartValueReads', () => {
  it('adds library templates in the chart scope and application subcharts under their alias (global stays global)', async () => {
    const root = workspace({
      ...LIB,
      'charts/sub/Chart.yaml': 'apiVersion: v2\nname: sub\nversion: 0.1.0\n',
      'charts/sub/templates/cm.yaml': 'data: {{ .Values.token }} {{ .Values.global.domain }}\n',
      'charts/app/Chart.yaml':
        'apiVersion: v2\nname: app\nversion: 0.1.0\ndependencies:\n  - name: lib\n    version: 0.1.0\n    repository: file://../lib\n  - name: sub\n    alias: cache\n    version: 0.1.0\n    repository: file://../sub\n',
      'charts/app/templates/cm.yaml': 'name: {{ include "lib.name" (dict "root" $) }}\npw: {{ .Values.app.password }}\n',
    });
    const reads = await chartValueReads(new RepoFiles(root), 'charts/app');
    expect(reads.all).toBe(false);
    expect(reads.paths).toEqual([['app', 'password'], ['nameOverride'], ['cache', 'token'], ['global', 'domain']]);
  });

  it('reads everything when a values schema or a packaged dependency is involved', async () => {
    const root = workspace({
      'charts/a/Chart.yaml': 'apiVersion: v2\nname: a\nversion: 0.1.0\n',
      'charts/a/values.schema.json': '{}',
      'charts/a/templates/cm.yaml': 'x: {{ .Values.x }}\n',
      'charts/b/Chart.yaml':
        'apiVersion: v2\nname: b\nversion: 0.1.0\ndependencies:\n  - name: redis\n    version: 1.0.0\n    repository: oci://registry-1.docker.io/bitnamicharts\n',
      'charts/b/templates/cm.yaml': 'x: {{ .Values.x }}\n',
    });
    expect(await chartValueReads(new RepoFiles(root), 'charts/a')).toMatchObject({ all: true, why: 'charts/a/values.schema.json validates every value' });
    expect((await chartValueReads(new RepoFiles(root), 'charts/b')).why).toMatch(/dependency redis is packaged/);
  });

  it('is sound with real helm: changing a value the chart does not read leaves the render byte-identical', async () => {
    const root = workspace({
      ...LIB,
      'charts/app/Chart.yaml': 'apiVersion: v2\nname: app\nversion: 0.1.0\ndependencies:\n  - name: lib\n    version: 0.1.0\n    repository: file://../lib\n',
      'charts/app/templates/cm.yaml':
        'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ include "lib.name" (dict "root" $) }}\ndata:\n  pw: {{ .Values.app.password | quote }}\n  {{- range $k, $v := .Values.extra }}\n  {{ $k }}: {{ $v | quote }}\n  {{- end }}\n',
    });
    const helm = await resolveHelm();
    execFileSync(helm.bin, ['dependency', 'build', '--skip-refresh', '.'], { cwd: path.join(root, 'charts/app'), stdio: 'ignore' });
    const render = (...sets: string[]) =>
      execFileSync(helm.bin, ['template', '.', '--name-template', 'r', ...sets.flatMap((s) => ['--set', s])], {
        cwd: path.join(root, 'charts/app'),
      }).toString();
    const reads = await chartValueReads(new RepoFiles(root), 'charts/app');
    const baseline = render('app.password=a', 'other.password=a', 'extra.k=a');
    for (const [set, changed] of [
      ['other.password=b', ['other', 'password']],
      ['app.user=b', ['app', 'user']],
    ] as const) {
      expect(readsPath(reads, [...changed])).toBe(false);
      expect(render('app.password=a', set, 'extra.k=a')).toBe(baseline);
    }
    for (const [set, changed] of [
      ['app.password=b', ['app', 'password']],
      ['extra.k=b', ['extra', 'k']],
      ['nameOverride=zz', ['nameOverride']],
    ] as const) {
      expect(readsPath(reads, [...changed])).toBe(true);
      expect(render('app.password=a', 'other.password=a', 'extra.k=a', set)).not.toBe(baseline);
    }
  });
});
