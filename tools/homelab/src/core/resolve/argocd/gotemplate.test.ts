import { describe, expect, it } from 'vitest';
import { renderGoTemplate, sanitizeName, TemplateError } from './gotemplate.ts';

const data = {
  path: { path: 'clusters/home/apps/web', basename: 'web', segments: ['clusters', 'home', 'apps', 'web'] },
  name: 'My_App',
  port: 8080,
  big: 1000000,
  ratio: 0.5,
  tiny: 0.00001,
  empty: '',
  list: ['a', 'b'],
};
const render = (t: string, missingKeyError = false) => renderGoTemplate(t, data, { missingKeyError });

describe('Go template subset', () => {
  it('reads fields, indexes and pipes like text/template', () => {
    expect(render('{{.path.basename}}')).toBe('web');
    expect(render('{{ .path.path }}/x')).toBe('clusters/home/apps/web/x');
    expect(render('{{index .path.segments 1}}')).toBe('home');
    expect(render('{{ (index .path.segments 3) | upper }}')).toBe('WEB');
    expect(render('{{ $.path.basename }}')).toBe('web');
    expect(render('{{ .name | lower | replace "_" "-" }}')).toBe('my-app');
    expect(render('{{ trimPrefix "clusters/" .path.path }}')).toBe('home/apps/web');
    expect(render('{{ trimSuffix "/web" .path.path }}')).toBe('clusters/home/apps');
    expect(render('{{ .empty | default "fallback" }}')).toBe('fallback');
    expect(render('{{ default "fallback" .missing }}')).toBe('fallback');
    expect(render('{{ default "fallback" .name }}')).toBe('My_App');
    expect(render('{{ printf "%s-%d" .path.basename 3 }}')).toBe('web-3');
    expect(render('{{ .path.basename | quote }}')).toBe('"web"');
    expect(render('{{ join "," .list }}')).toBe('a,b');
    expect(render('{{ normalize .name }}')).toBe('my-app');
    expect(render('{{ base .path.path }} {{ dir .path.path }}')).toBe('web clusters/home/apps');
  });

  it('prints values the way Go does', () => {
    expect(render('{{.port}}')).toBe('8080');
    expect(render('{{.big}}')).toBe('1e+06');
    expect(render('{{.ratio}}')).toBe('0.5');
    expect(render('{{.tiny}}')).toBe('1e-05');
    expect(render('{{.list}}')).toBe('[a b]');
    expect(render('{{.missing}}')).toBe('<no value>');
    expect(render('x{{/* comment */}}y')).toBe('xy');
  });

  it('honours trim markers', () => {
    expect(render('a  {{- .path.basename -}}  b')).toBe('awebb');
    expect(render('a {{.path.basename}} b')).toBe('a web b');
  });

  it('fails on missing keys with missingkey=error, and on nil field access', () => {
    expect(() => render('{{.missing}}', true)).toThrow(/no entry for key "missing"/);
    expect(render('{{.missing.deeper}}')).toBe('<no value>');
    expect(() => renderGoTemplate('{{.a.b}}', { a: null }, { missingKeyError: false })).toThrow(/nil pointer/);
    expect(() => render('{{index .path.segments 9}}')).toThrow(/out of range/);
  });

  it('refuses what it does not implement instead of guessing', () => {
    expect(() => render('{{ if .name }}x{{ end }}')).toThrow(TemplateError);
    expect(() => render('{{ range .list }}{{ . }}{{ end }}')).toThrow(/not supported/);
    expect(() => render('{{ $x := 1 }}')).toThrow(/variables/);
    expect(() => render('{{ sha256sum .name }}')).toThrow(/function "sha256sum" is not supported/);
    expect(() => render('{{ .name')).toThrow(/unclosed/);
  });

  it('sanitizes names like ArgoCD basenameNormalized', () => {
    expect(sanitizeName('Cert_Manager')).toBe('cert-manager');
    expect(sanitizeName('-a.b_c.')).toBe('a.b-c');
  });
});
