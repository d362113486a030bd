import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Chart } from '../model/types.ts';
import { RepoFiles } from '../workspace/repo-files.ts';
import { GitRevisionFiles } from '../workspace/git-files.ts';
import { includedTemplates, libraryChange, namedTemplates, unusedLibraryChange } from './library-templates.ts';

describe('named templates', () => {
  it('keeps each define with its own trim markers, nested blocks included; an unbalanced file is not concluded on', () => {
    const text = '{{/* a comment {{ end }} */}}\n{{- define "a" -}}\n{{ if .x }}x{{ else }}y{{ end }}\n{{- end }}\ntop\n{{ define "b" }}b{{ end }}';
    expect([...namedTemplates(text)!]).toEqual([
      ['a', '{{- define "a" -}}\n{{ if .x }}x{{ else }}y{{ end }}\n{{- end }}'],
      ['b', '{{ define "b" }}b{{ end }}'],
    ]);
    expect(namedTemplates('{{ define "a" }}{{ if .x }}{{ end }}')).toBeUndefined();
    expect(namedTemplates('{{ end }}')).toBeUndefined();
  });

  it('reads included names; a computed name or tpl is dynamic', () => {
    expect(includedTemplates('{{ include "a" . | nindent 2 }} {{ template "b" }} include "c" outside an action')).toEqual({
      names: new Set(['a', 'b']),
      dynamic: false,
    });
    expect(includedTemplates('{{ include (printf "%s.x" .Chart.Name) . }}').dynamic).toBe(true);
    expect(includedTemplates('{{ tpl .Values.text . }}').dynamic).toBe(true);
  });
});

describe('a change confined to a library', () => {
  const root = mkdtempSync(path.join(tmpdir(), 'library-templates-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const write = (file: string, text: string) => {
    mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    writeFileSync(path.join(root, file), text);
  };
  const git = (...args: string[]) => execFileSync('git', ['-C', root, ...args], { encoding: 'utf8' }).trim();
  const chart = (name: string, type: Chart['type'], deps: string[]): Chart => ({
    name,
    dir: `charts/${name}`,
    type,
    version: '0.1.0',
    localDependencies: deps.map((d) => ({ name: d, dir: `charts/${d}` })),
    hasDependencies: deps.length > 0,
  });
  const charts = [chart('common', 'library', []), chart('uses', 'application', ['common']), chart('other', 'application', ['common'])];

  it('alters the changed define and every define including it; a chart including none of them renders the same', async () => {
    git('init', '-q');
    const dependency = 'dependencies:\n  - name: common\n    version: 0.1.0\n    repository: file://../common\n';
    write('charts/common/Chart.yaml', 'apiVersion: v2\nname: common\ntype: library\nversion: 0.1.0\n');
    write(
      'charts/common/templates/_a.tpl',
      '{{- define "common.note" -}}base{{- end -}}\n{{- define "common.wrap" -}}[{{ include "common.note" . }}]{{- end -}}\n',
    );
    write('charts/common/templates/_b.tpl', '{{- define "common.name" -}}{{ .Release.Name }}{{- end -}}\n');
    for (const [name, uses] of [
      ['uses', 'common.wrap'],
      ['other', 'common.name'],
    ]) {
      write(`charts/${name}/Chart.yaml`, `apiVersion: v2\nname: ${name}\nversion: 0.1.0\n${dependency}`);
      write(`charts/${name}/templates/cm.yaml`, `data:\n  x: {{ include "${uses}" . }}\n`);
    }
    git('add', '.');
    git('-c', 'user.name=t', '-c', 'user.email=t@example.invalid', 'commit', '-qm', 'base');
    write(
      'charts/common/templates/_a.tpl',
      '{{- define "common.note" -}}head{{- end -}}\n{{- define "common.wrap" -}}[{{ include "common.note" . }}]{{- end -}}\n{{/* a comment */}}\n',
    );
    const head = new RepoFiles(root);
    const change = await libraryChange(new Set(['charts/common']), await GitRevisionFiles.open(root, 'HEAD'), head);
    expect([...change.names!].sort()).toEqual(['common.note', 'common.wrap']);
    expect(await unusedLibraryChange(charts[1], charts, change, head)).toBeUndefined();
    expect(await unusedLibraryChange(charts[2], charts, change, head)).toBe(
      'library: includes none of the changed templates of charts/common (common.note, common.wrap)',
    );
    // Something it cannot follow keeps the chart: tpl in its templates, or a library that no longer parses.
    write('charts/other/templates/tpl.yaml', '{{ tpl .Values.t . }}\n');
    // (a fresh RepoFiles: one reads each listing once)
    expect(await unusedLibraryChange(charts[2], charts, change, new RepoFiles(root))).toBeUndefined();
    write('charts/common/templates/_b.tpl', '{{- define "common.name" -}}{{ if .x }}{{- end -}}\n');
    const broken = await libraryChange(new Set(['charts/common']), await GitRevisionFiles.open(root, 'HEAD'), new RepoFiles(root));
    expect(broken.names).toBeUndefined();
  });
});
