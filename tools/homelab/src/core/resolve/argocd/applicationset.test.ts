import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HomelabError } from '../../model/errors.ts';
import { RepoFiles } from '../../workspace/repo-files.ts';
import { expandApplicationSet } from './applicationset.ts';

const files = new RepoFiles(resolve(import.meta.dirname, '../../../../../../test/fixtures/resolution/generators'));
const FILE = 'clusters/home/appset.yaml';

function appset(spec: Record<string, unknown>): Record<string, unknown> {
  return { apiVersion: 'argoproj.io/v1alpha1', kind: 'ApplicationSet', metadata: { name: 'set' }, spec };
}

const template = (name: string, path = 'charts/x', namespace = 'ns') => ({
  metadata: { name },
  spec: { source: { repoURL: 'https://git.example.com/r.git', path }, destination: { namespace } },
});

/** [name, path, namespace] of each generated Application. */
async function expand(spec: Record<string, unknown>): Promise<string[][]> {
  const apps = await expandApplicationSet(appset(spec), FILE, files);
  return apps.map((app) => {
    const s = app.spec as { source: { path: string }; destination: { namespace: string } };
    return [(app.metadata as { name: string }).name, s.source.path, s.destination.namespace];
  });
}

describe('git directory generator', () => {
  it('matches one level per *, skips hidden directories, honours exclude (fasttemplate)', async () => {
    const rows = await expand({
      generators: [{ git: { repoURL: 'x', directories: [{ path: 'apps/*' }, { path: 'apps/*/nested' }, { path: 'apps/alpha', exclude: true }] } }],
      template: template('{{path.basename}}', '{{path}}', '{{path[0]}}-{{path[1]}}'),
    });
    expect(rows).toEqual([
      ['beta', 'apps/beta', 'apps-beta'],
      ['nested', 'apps/beta/nested', 'apps-beta'],
    ]);
  });

  it('exposes path params under pathParamPrefix in both syntaxes', async () => {
    const git = { repoURL: 'x', directories: [{ path: 'apps/alpha' }], pathParamPrefix: 'app' };
    expect(await expand({ generators: [{ git }], template: template('{{app.path.basename}}', '{{app.path}}') })).toEqual([['alpha', 'apps/alpha', 'ns']]);
    expect(await expand({ goTemplate: true, generators: [{ git }], template: template('{{.app.path.basename}}', '{{index .app.path.segments 0}}') })).toEqual([
      ['alpha', 'apps', 'ns'],
    ]);
  });

  it('lets a generator template override the ApplicationSet template', async () => {
    const rows = await expand({
      generators: [
        { git: { repoURL: 'x', directories: [{ path: 'apps/alpha' }], template: { spec: { destination: { namespace: 'override-{{path.basename}}' } } } } },
      ],
      template: template('{{path.basename}}', '{{path}}'),
    });
    expect(rows).toEqual([['alpha', 'apps/alpha', 'override-alpha']]);
  });
});

describe('git files generator', () => {
  const gitFiles = { repoURL: 'x', files: [{ path: 'envs/*/config.yaml' }, { path: 'envs/skip/config.yaml', exclude: true }] };

  it('flattens file contents for fasttemplate; * crosses directories like a git pathspec', async () => {
    const rows = await expand({
      generators: [{ git: gitFiles }],
      template: template('{{name}}-{{nested.tier}}', '{{path}}/{{path.filename}}', '{{path.basename}}'),
    });
    expect(rows).toEqual([
      ['home-gold', 'envs/home/config.yaml', 'home'],
      ['lab-silver', 'envs/lab/deep/config.yaml', 'deep'],
      ['multi-a-bronze', 'envs/multi/config.yaml', 'multi'],
      ['multi-b-bronze', 'envs/multi/config.yaml', 'multi'],
    ]);
  });

  it('keeps file contents nested for goTemplate and prints numbers as Go float64', async () => {
    const rows = await expand({
      goTemplate: true,
      generators: [{ git: { repoURL: 'x', files: [{ path: 'envs/home/config.yaml' }] } }],
      template: template('{{.name}}-{{.nested.tier}}-{{.replicas}}', '{{.path.path}}/{{.path.filename}}', 'size-{{.size}}'),
    });
    expect(rows).toEqual([['home-gold-2', 'envs/home/config.yaml', 'size-1e+06']]);
  });
});

describe('list, matrix and merge generators', () => {
  it('expands list elements, values.* and elementsYaml', async () => {
    const rows = await expand({
      generators: [
        {
          list: {
            elements: [{ cluster: 'a', values: { ns: 'one' } }],
            elementsYaml: '- cluster: b\n  values:\n    ns: two\n',
          },
        },
      ],
      goTemplate: true,
      template: template('{{.cluster}}', 'charts/x', '{{.values.ns}}'),
    });
    expect(rows).toEqual([
      ['a', 'charts/x', 'one'],
      ['b', 'charts/x', 'two'],
    ]);
  });

  it('combines every directory with every list element and templates the second generator', async () => {
    const rows = await expand({
      generators: [
        {
          matrix: {
            generators: [
              { git: { repoURL: 'x', directories: [{ path: 'apps/*' }] } },
              {
                list: {
                  elements: [
                    { env: 'dev', ns: '{{path.basename}}-dev' },
                    { env: 'prod', ns: '{{path.basename}}' },
                  ],
                },
              },
            ],
          },
        },
      ],
      template: template('{{path.basename}}-{{env}}', '{{path}}', '{{ns}}'),
    });
    expect(rows).toEqual([
      ['alpha-dev', 'apps/alpha', 'alpha-dev'],
      ['alpha-prod', 'apps/alpha', 'alpha'],
      ['beta-dev', 'apps/beta', 'beta-dev'],
      ['beta-prod', 'apps/beta', 'beta'],
    ]);
  });

  it('overrides base parameter sets by mergeKeys', async () => {
    const rows = await expand({
      generators: [
        {
          merge: {
            mergeKeys: ['name'],
            generators: [
              {
                list: {
                  elements: [
                    { name: 'a', ns: 'base-a' },
                    { name: 'b', ns: 'base-b' },
                  ],
                },
              },
              {
                list: {
                  elements: [
                    { name: 'b', ns: 'override-b' },
                    { name: 'c', ns: 'ignored' },
                  ],
                },
              },
            ],
          },
        },
      ],
      template: template('{{name}}', 'charts/x', '{{ns}}'),
    });
    expect(rows).toEqual([
      ['a', 'charts/x', 'base-a'],
      ['b', 'charts/x', 'override-b'],
    ]);
  });

  it('merges a rendered templatePatch into each Application', async () => {
    const apps = await expandApplicationSet(
      appset({
        goTemplate: true,
        generators: [{ list: { elements: [{ name: 'a', auto: 'yes' }] } }],
        template: template('{{.name}}'),
        templatePatch: 'spec:\n  syncPolicy:\n    automated:\n      prune: true\n  destination:\n    namespace: {{ .name | upper }}\n',
      }),
      FILE,
      files,
    );
    expect(apps[0].spec).toEqual({
      source: { repoURL: 'https://git.example.com/r.git', path: 'charts/x' },
      destination: { namespace: 'A' },
      syncPolicy: { automated: { prune: true } },
    });
  });
});

describe('templatePatch (strategic merge as ArgoCD applies it)', () => {
  const base = {
    goTemplate: true,
    goTemplateOptions: ['missingkey=error'],
    template: {
      metadata: { name: '{{.name}}' },
      spec: {
        project: 'default',
        source: {
          repoURL: 'https://git.example.invalid/r.git',
          path: 'charts/{{.name}}',
          helm: { valueFiles: ['values.yaml'], valuesObject: { a: { b: 1 }, keep: true } },
        },
        destination: { namespace: '{{.name}}' },
      },
    },
  };
  const patched = async (templatePatch: string, elements: unknown[] = [{ name: 'web' }]) =>
    expandApplicationSet(appset({ ...base, generators: [{ list: { elements } }], templatePatch }), FILE, files);

  it('merges maps, replaces lists, keeps the project, and takes JSON or YAML', async () => {
    const yaml = await patched(
      'metadata:\n  annotations:\n    annotation-some-key: annotation-some-value\nspec:\n  project: other\n  source:\n    helm:\n      valueFiles:\n        - values.test.yaml\n        - values.big.yaml\n  syncPolicy:\n    automated:\n      prune: true\n',
    );
    const json = await patched(
      '{"metadata": {"annotations": {"annotation-some-key": "annotation-some-value"}}, "spec": {"project": "other", "source": {"helm": {"valueFiles": ["values.test.yaml", "values.big.yaml"]}}, "syncPolicy": {"automated": {"prune": true}}}}',
    );
    for (const [app] of [yaml, json]) {
      expect(app.metadata).toEqual({ name: 'web', annotations: { 'annotation-some-key': 'annotation-some-value' } });
      expect(app.spec).toEqual({
        project: 'default',
        source: {
          repoURL: 'https://git.example.invalid/r.git',
          path: 'charts/web',
          helm: { valueFiles: ['values.test.yaml', 'values.big.yaml'], valuesObject: { a: { b: 1 }, keep: true } },
        },
        destination: { namespace: 'web' },
        syncPolicy: { automated: { prune: true } },
      });
    }
  });

  it('renders control flow per element: sources from a range, values with toJson, null deletes', async () => {
    const patch = `spec:
  source: null
  sources:
    - repoURL: https://git.example.invalid/r.git
      ref: values
  {{- range $i, $src := .sources }}
    - repoURL: {{ $src.repo }}
      path: {{ $src.path }}
      {{- with index $src "values" }}
      helm:
        valuesObject: {{ toJson . }}
      {{- end }}
  {{- end }}
`;
    const [app] = await patched(patch, [
      {
        name: 'web',
        sources: [
          { repo: 'https://git.example.invalid/r.git', path: 'charts/web', values: { replicas: 2 } },
          { repo: 'https://git.example.invalid/r.git', path: 'charts/db' },
        ],
      },
    ]);
    expect(app.spec).toMatchObject({
      sources: [
        { repoURL: 'https://git.example.invalid/r.git', ref: 'values' },
        { repoURL: 'https://git.example.invalid/r.git', path: 'charts/web', helm: { valuesObject: { replicas: 2 } } },
        { repoURL: 'https://git.example.invalid/r.git', path: 'charts/db' },
      ],
    });
    expect((app.spec as Record<string, unknown>).source).toBeUndefined();
  });

  it('merges only top-level keys of valuesObject, as ArgoCD (a nested map on both sides is its error)', async () => {
    const [app] = await patched('spec:\n  source:\n    helm:\n      valuesObject:\n        keep: false\n        extra: {x: 1}\n');
    expect((app.spec as { source: { helm: unknown } }).source.helm).toEqual({
      valueFiles: ['values.yaml'],
      valuesObject: { a: { b: 1 }, keep: false, extra: { x: 1 } },
    });
    await expect(patched('spec:\n  source:\n    helm:\n      valuesObject:\n        a: {c: 2}\n')).rejects.toThrow(
      /unable to find api field in struct RawExtension for the json field "a"/,
    );
  });

  it('patches an Application of an empty parameter set, whose template stays unrendered', async () => {
    const apps = await expandApplicationSet(
      appset({
        goTemplate: true,
        generators: [{ list: { elements: [{}] } }],
        template: template('fixed'),
        templatePatch: '{{ if not .name }}spec:\n  destination:\n    namespace: patched{{ end }}',
      }),
      FILE,
      files,
    );
    expect(apps[0].spec).toMatchObject({ destination: { namespace: 'patched' } });
  });

  it('templates map keys as ArgoCD does', async () => {
    const [app] = await expandApplicationSet(
      appset({
        goTemplate: true,
        generators: [{ list: { elements: [{ name: 'a', key: 'team' }] } }],
        template: { ...template('{{.name}}'), metadata: { name: '{{.name}}', labels: { '{{ .key }}': 'x' } } },
      }),
      FILE,
      files,
    );
    expect(app.metadata).toEqual({ name: 'a', labels: { team: 'x' } });
  });
});

describe('unsupported ApplicationSets fail with the file named', () => {
  const fails = async (spec: Record<string, unknown>, message: RegExp) => {
    const err = await expandApplicationSet(appset(spec), FILE, files).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(HomelabError);
    expect((err as HomelabError).message).toMatch(message);
  };

  it('names generators it cannot evaluate', () =>
    fails(
      { generators: [{ clusters: {} }], template: template('x') },
      /^clusters\/home\/appset\.yaml: ApplicationSet set: generator clusters is not supported/,
    ));

  it('needs string list elements without goTemplate, as ArgoCD does', () =>
    fails({ generators: [{ list: { elements: [{ n: 1 }] } }], template: template('{{n}}') }, /list element n must be a string/));

  it('names a Go template function it does not render, even in a branch not taken', () =>
    fails(
      { goTemplate: true, generators: [{ list: { elements: [{ a: 'x' }] } }], template: template('{{ if false }}{{ now }}{{ end }}{{ .a }}') },
      /^clusters\/home\/appset\.yaml: ApplicationSet set: function "now" is not supported by homelab/,
    ));

  it('refuses a rendered <no value> in the deployed fields', () =>
    fails({ goTemplate: true, generators: [{ list: { elements: [{ a: 'x' }] } }], template: template('{{.b}}') }, /metadata\.name renders to "<no value>"/));
});
