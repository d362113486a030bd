import { describe, expect, it } from 'vitest';
import { goTemplateOptions, renderGoTemplate, sanitizeName, TemplateError } from './gotemplate.ts';

const data = {
  path: { path: 'clusters/home/apps/web', basename: 'web', segments: ['clusters', 'home', 'apps', 'web'] },
  name: 'My_App',
  port: 8080,
  big: 1000000,
  ratio: 0.5,
  tiny: 0.00001,
  empty: '',
  nothing: null,
  list: ['a', 'b'],
  replicas: 3,
  hpa: { enabled: true, minReplicas: 1, maxReplicas: 5 },
  volumes: [
    { name: 'volume-one', emptyDir: {} },
    { name: 'volume-two', emptyDir: {} },
  ],
  admin: { 'admin-ca': 'value "admin" ca with \\', 'admin-jks': 'value admin jks' },
  values: { 'external-dns': { enabled: true }, grafana: { enabled: false, replicas: 2 } },
};
const render = (t: string, options: string[] = [], params: unknown = data) => renderGoTemplate(t, params, goTemplateOptions(options));

describe('Go templates as ArgoCD renders them', () => {
  // Cases from argo-cd's applicationset/utils tests (TestRenderTemplateParamsGoTemplate, TestSlugify), then Go's own rules.
  const cases: [string, string, unknown?][] = [
    ['{{ .path.basename }}', 'web'],
    ['{{.name}}{{.name}}', 'My_AppMy_App'],
    ['{{ .one }}', '{{one}}', { one: '{{one}}' }],
    ['{{.one}} {{.three}}', '"hello" world four', { one: '"hello" world', three: 'four' }],
    ['{{ .hpa.maxReplicas }}', '5'],
    ['{{ if .hpa.enabled }}{{ .hpa.maxReplicas }}{{ else }}{{ .replicas }}{{ end }}', '5'],
    ['{{ if not .hpa.enabled }}{{ .hpa.maxReplicas }}{{ else }}{{ .replicas }}{{ end }}', '3'],
    ['{{ range .volumes }}[{{ .name }}]{{ end }}', '[volume-one][volume-two]'],
    ['{{ index .admin "admin-ca" }}, \\\\ "Hello world", {{ index .admin "admin-jks" }}', 'value "admin" ca with \\, \\\\ "Hello world", value admin jks'],
    ['--> {{.doesnotexist}} <--', '--> <no value> <--'],
    [
      '{{ toYaml . | indent 2 }}',
      '  foo:\n    bar:\n      bool: true\n      number: 2\n      str: Hello world',
      { foo: { bar: { bool: true, number: 2, str: 'Hello world' } } },
    ],
    ['{{ get (fromYaml .value) "hello" }}', 'world', { value: 'hello: world' }],
    ['{{ fromYamlArray .value | last }}', 'bonjour tout le monde', { value: '- hello world\n- bonjour tout le monde' }],
    [
      '{{ slugify 50 false .b }}',
      'feat-a-really-long-pull-request-name-to-test-argo',
      { b: 'feat/a_really+long_pull_request_name_to_test_argo_slugification_and_branch_name_shortening_feature' },
    ],
    [
      '{{ slugify 53 true .b }}',
      'feat-a-really-long-pull-request-name-to-test-argo',
      { b: 'feat/a_really+long_pull_request_name_to_test_argo_slugification_and_branch_name_shortening_feature' },
    ],
    ['{{ slugify 50 true .b }}', 'feat', { b: 'feat/areallylongpullrequestnametotestargoslugificationandbranchnameshorteningfeature' }],
    [
      '{{ slugify 50 false .b }}',
      'feat-areallylongpullrequestnametotestargoslugifica',
      { b: 'feat/areallylongpullrequestnametotestargoslugificationandbranchnameshorteningfeature' },
    ],
    // printing
    ['{{.port}} {{.big}} {{.ratio}} {{.tiny}} {{.list}} {{.nothing}}', '8080 1e+06 0.5 1e-05 [a b] <no value>'],
    ['{{ .hpa }}', 'map[enabled:true maxReplicas:5 minReplicas:1]'],
    ['{{ 1000000 }} {{ 1.5 }} {{ 0x10 }} {{ \'a\' }} {{ "a\\tb" }} {{ `raw\\n` }}', '1000000 1.5 16 97 a\tb raw\\n'],
    ['a  {{- .path.basename -}}  b', 'awebb'],
    ['x{{/* comment */}}y {{- /* trimmed */}} z', 'xy z'],
    // control flow and variables
    ['{{ if eq .path.basename "api" }}api{{ else if eq .path.basename "web" }}web{{ else }}other{{ end }}', 'web'],
    ['{{ range $i, $v := .list }}{{ $i }}={{ $v }};{{ end }}', '0=a;1=b;'],
    ['{{ range $k, $v := .values }}{{ $k }}:{{ $v.enabled }} {{ end }}', 'external-dns:true grafana:false '],
    ['{{ range .missing }}x{{ else }}none{{ end }}', 'none'],
    ['{{ range 3 }}{{ . }}{{ end }}', '012'],
    ['{{ range .list }}{{ if eq . "b" }}{{ break }}{{ end }}{{ . }}{{ end }}', 'a'],
    ['{{ range .list }}{{ if eq . "a" }}{{ continue }}{{ end }}{{ . }}{{ end }}', 'b'],
    ['{{ with .hpa }}{{ .maxReplicas }}/{{ $.replicas }}{{ end }}', '5/3'],
    ['{{ with .missing }}x{{ else with .hpa }}{{ .minReplicas }}{{ end }}', '1'],
    ['{{ $n := .path.basename }}{{ $n = printf "%s-x" $n }}{{ $n }}', 'web-x'],
    ['{{ if $x := .hpa.enabled }}{{ $x }}{{ end }}', 'true'],
    ['{{ define "n" }}[{{ . }}]{{ end }}{{ template "n" .path.basename }}', '[web]'],
    ['{{ block "b" .replicas }}<{{ . }}>{{ end }}', '<3>'],
    // functions: logic, comparison, builtins
    ['{{ and .hpa.enabled .path.basename }} {{ or .empty "x" }} {{ and .empty .missing.deep }}', 'web x '],
    ['{{ eq .replicas 3.0 }} {{ lt 1 2 }} {{ ge "b" "a" }} {{ ne .name "x" }} {{ eq .name "a" "My_App" }}', 'true true true true true'],
    ['{{ len .list }} {{ len .name }} {{ len .hpa }} {{ index .path.segments 1 }} {{ index .values "grafana" "replicas" }}', '2 6 3 home 2'],
    ['{{ printf "%s-%d-%v-%q-%05.1f-%x-%t" "a" 3 .replicas "b" 2.25 255 true }}', 'a-3-3-"b"-002.2-ff-true'],
    ['{{ printf "%d %s" .replicas }}', '%!d(float64=3) %!s(MISSING)'],
    ['{{ print "a" 1 2 "b" }}|{{ println "x" 1 }}', 'a1 2b|x 1\n'],
    // sprig
    ['{{ .empty | default "fallback" }} {{ default "fallback" .missing }} {{ default "fallback" .name }}', 'fallback fallback My_App'],
    ['{{ coalesce .empty .missing "c" }} {{ ternary "yes" "no" .hpa.enabled }} {{ empty .list }}', 'c yes false'],
    ['{{ .name | lower | replace "_" "-" }} {{ upper "a" }} {{ title "hello world" }} {{ trim "  x " }}', 'my-app A Hello World x'],
    ['{{ trimPrefix "clusters/" .path.path }} {{ trimSuffix "/web" .path.path }} {{ trimAll "-" "--a--" }}', 'home/apps/web clusters/home/apps a'],
    [
      '{{ quote .name 3 }} {{ squote .name }} {{ contains "App" .name }} {{ hasPrefix "My" .name }} {{ hasSuffix "x" .name }}',
      '"My_App" "3" \'My_App\' true true false',
    ],
    ['{{ (split "/" .path.path)._1 }} {{ splitList "/" .path.path | last }} {{ join "," .list }} {{ list 1 "a" | toJson }}', 'home web a,b [1,"a"]'],
    [
      '{{ $d := dict "a" 1 "b" (list "x") }}{{ $_ := set $d "c" true }}{{ toJson $d }} {{ hasKey $d "a" }} {{ get $d "z" }}|{{ keys $d | sortAlpha | join "," }}',
      '{"a":1,"b":["x"],"c":true} true |a,b,c',
    ],
    ['{{ merge (dict "a" 1 "n" (dict "x" 1)) (dict "a" 2 "b" 3 "n" (dict "y" 2)) | toJson }}', '{"a":1,"b":3,"n":{"x":1,"y":2}}'],
    [
      '{{ mergeOverwrite (dict "a" 1) (dict "a" 2) | toJson }} {{ pick .hpa "enabled" | toJson }} {{ omit .hpa "enabled" | toJson }}',
      '{"a":2} {"enabled":true} {"maxReplicas":5,"minReplicas":1}',
    ],
    [
      '{{ toString 3 }} {{ atoi "42" }} {{ int "7" }} {{ int .replicas }} {{ add 1 2 .replicas }} {{ sub 5 2 }} {{ mul 2 3 }} {{ div 7 2 }} {{ mod 7 2 }} {{ max 1 5 3 }}',
      '3 42 7 3 6 3 6 3 1 5',
    ],
    ['{{ b64enc "hello" }} {{ b64dec "aGVsbG8=" }} {{ sha256sum "hello" | trunc 12 }} {{ b32enc "hi" }}', 'aGVsbG8= hello 2cf24dba5fb0 NBUQ===='],
    [
      // ${2} is Go's regexp expansion, not a JavaScript placeholder
      '{{ regexMatch "^w.b$" .path.basename }} {{ regexReplaceAll "(a)(p+)" "apple" "${2}$1" }} {{ regexFind "[0-9]+" "ab12cd34" }} {{ regexFindAll "[0-9]" "a1b2c3" 2 }}',
      'true ppale 12 [1 2]',
    ],
    ['{{ regexReplaceAll "a*" "baaac" "-" }} {{ regexSplit "," "a,b,c" -1 | len }}', '-b-c- 3'],
    // Go's regexp.Split documentation examples
    [
      '{{ regexSplit "a" "banana" -1 }}|{{ regexSplit "z+" "pizza" -1 }}|{{ regexSplit "a*" "abaabaccadaaae" 5 }}|{{ regexSplit "" "abc" -1 }}',
      '[b n n ]|[pi a]|[ b b c cadaaae]|[a b c]',
    ],
    ['{{ semverCompare ">=1.2.0" "1.3.0" }} {{ semverCompare "~1.2" "1.3.0" }}', 'true false'],
    ['{{ "a\\nb" | indent 2 }}|{{ "a" | nindent 4 }}', '  a\n  b|\n    a'],
    [
      '{{ normalize .name }} {{ base .path.path }} {{ dir .path.path }} {{ ext "a/b.tar.gz" }} {{ clean "a//b/../c" }}',
      'my-app web clusters/home/apps .gz a/c',
    ],
    [
      '{{ first .list }} {{ rest .list }} {{ initial .list }} {{ reverse .list }} {{ append .list "c" }} {{ has "a" .list }} {{ uniq (list 1 1 2) }}',
      'a [b] [a] [b a] [a b c] true [1 2]',
    ],
    [
      '{{ without .list "a" }} {{ concat .list (list "c") }} {{ slice .list 1 }} {{ compact (list "" "a") }} {{ until 3 }} {{ dig "hpa" "maxReplicas" 0 . }}',
      '[b] [a b c] [b] [a] [0 1 2] 5',
    ],
    ['{{ toJson .values }}', '{"external-dns":{"enabled":true},"grafana":{"enabled":false,"replicas":2}}'],
    ['{{ toPrettyJson (dict "a" (list 1)) }}', '{\n  "a": [\n    1\n  ]\n}'],
    ['{{ (fromJson "{\\"a\\": [1, 2]}").a }} {{ toJson "<&>" }} {{ toRawJson "<&>" }}', '[1 2] "\\u003c\\u0026\\u003e" "<&>"'],
    ['{{ kindOf .list }} {{ kindIs "map" .hpa }} {{ deepEqual .list (list "a" "b") }} {{ cat "a" .missing 1 }}', 'slice true true a 1'],
  ];
  it.each(cases)('%s', (template, expected, params) => {
    expect(render(template, [], params ?? data)).toBe(expected);
  });

  it('fails the way Go fails', () => {
    const fails: [string, RegExp, string[]?][] = [
      ['{{.doesnotexist}}', /map has no entry for key "doesnotexist"/, ['missingkey=error']],
      ['{{.missing.deeper}}', /map has no entry for key "missing"/, ['missingkey=error']],
      ['{{.missing.deeper}}', /nil pointer evaluating interface \{\}\.deeper/, ['missingkey=zero']],
      ['{{.nothing.x}}', /nil pointer evaluating/],
      ['{{.name.test}}', /can't evaluate field test/],
      ['{{ functiondoesnotexist }}', /function "functiondoesnotexist" not defined/],
      ['{{ if false }}{{ now }}{{ end }}', /function "now" is not supported by homelab/],
      ['{{ eq .replicas 3 }}', /incompatible types for comparison: float64 and int/],
      ['{{ indent .replicas "x" }}', /wrong type for value; expected int; got float64/],
      ['{{ upper 3 }}', /expected string; found 3/],
      ['{{ upper .missing }}', /invalid value; expected string/],
      ['{{ index .path.segments 9 }}', /error calling index: index out of range: 9/],
      ['{{ fromYaml .value }}', /cannot unmarshal string into Go value of type map/],
      ['{{ fail "no cluster" }}', /error calling fail: no cluster/],
      ['{{ $x }}', /undefined variable "\$x"/],
      ['{{ if .name }}x', /has no \{\{end\}\}/],
      ['{{ end }}', /unexpected \{\{end\}\}/],
      ['{{ break }}', /outside \{\{range\}\}/],
      ['{{ .name', /unclosed action/],
      ['{{ .name }}', /unrecognized goTemplateOptions: missingkey=bogus/, ['missingkey=bogus']],
    ];
    for (const [template, message, options] of fails) {
      expect(() => render(template, options, { ...data, value: 'non\n compliant\n yaml' }), template).toThrow(TemplateError);
      expect(() => render(template, options, { ...data, value: 'non\n compliant\n yaml' }), template).toThrow(message);
    }
  });

  it('renders a multi-source templatePatch with if, range and toJson', () => {
    const patch = `spec:
  sources:
    - repoURL: https://git.example.invalid/homelab.git
      targetRevision: HEAD
      ref: values
    - repoURL: {{ .chart.repo }}
      chart: {{ .chart.name }}
      targetRevision: {{ .chart.version | quote }}
      helm:
        releaseName: {{ .name }}
        valueFiles:
        {{- range $file := .valueFiles }}
          - $values/{{ $file }}
        {{- end }}
        {{- if .values }}
        valuesObject: {{ toJson .values }}
        {{- end }}
`;
    const out = render(patch, ['missingkey=error'], {
      name: 'grafana',
      chart: { repo: 'https://charts.example.invalid', name: 'grafana', version: '8.5.0' },
      valueFiles: ['values/common.yaml', 'values/grafana.yaml'],
      values: { replicas: 2, ingress: { enabled: true } },
    });
    expect(out).toBe(`spec:
  sources:
    - repoURL: https://git.example.invalid/homelab.git
      targetRevision: HEAD
      ref: values
    - repoURL: https://charts.example.invalid
      chart: grafana
      targetRevision: "8.5.0"
      helm:
        releaseName: grafana
        valueFiles:
          - $values/values/common.yaml
          - $values/values/grafana.yaml
        valuesObject: {"ingress":{"enabled":true},"replicas":2}
`);
  });

  it('sanitizes names like ArgoCD basenameNormalized', () => {
    expect(sanitizeName('Cert_Manager')).toBe('cert-manager');
    expect(sanitizeName('-a.b_c.')).toBe('a.b-c');
  });
});
