import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeApiServer, type FakeApiServer } from '../../../../../test/helpers/fake-apiserver.ts';
import { writeKubeconfig } from '../../../../../test/helpers/kubeconfig.ts';
import { resolveKubectl } from '../cluster/kube.ts';
import { HomelabError } from '../model/errors.ts';
import { canonicalStream, renderDirectory, type DirectorySource } from './directory.ts';

const FILES: Record<string, string> = {
  // A comment, YAML 1.1 scalars (yes is a boolean, 0777 octal, 12:30 a string), an empty document, a List.
  'apps/a.yaml': `# ConfigMaps
apiVersion: v1
kind: ConfigMap
metadata: { name: a, namespace: demo }
data: { z: "1", flag: "yes", time: 12:30 }
---
---
apiVersion: v1
kind: List
items:
- { apiVersion: v1, kind: ConfigMap, metadata: { name: listed-1, namespace: demo } }
- { apiVersion: v1, kind: ConfigMap, metadata: { name: listed-2, namespace: demo }, data: { mode: "0777" } }
`,
  'apps/b.yml':
    'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: demo\n---\napiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: b\n  namespace: demo\n',
  // Not a manifest: the repo-server ignores it.
  'apps/values.yaml': 'replicas: 3\nimage: { tag: latest }\n',
  'apps/svc.json': JSON.stringify({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'svc', namespace: 'demo' }, spec: { ports: [{ port: 80 }] } }),
  'apps/sub/deploy.yaml': 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: demo\nspec:\n  replicas: 2\n',
  'apps/sub/skip.yaml': '# +argocd:skip-file-rendering\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: skipped\n',
  'apps/sub/notes.txt': 'apiVersion: v1\nkind: ConfigMap\n',
  'apps/sub/more/x.json': JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x', namespace: 'demo' } }),
  'apps/.hidden/h.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: hidden\n  namespace: demo\n',
};

let root: string;
let server: FakeApiServer;
let kubeconfig: string;

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'directory-source-'));
  for (const [file, text] of Object.entries(FILES)) {
    await mkdir(path.dirname(path.join(root, file)), { recursive: true });
    await writeFile(path.join(root, file), text);
  }
  server = await startFakeApiServer();
  kubeconfig = await writeKubeconfig([{ name: 'test', server: server.url }]);
});
afterAll(() => server.close());

/** kubectl's own reading of one file (Go's YAML/JSON decoder, Lists expanded): the objects a client-side dry run prints. */
async function kubectlObjects(file: string): Promise<Record<string, unknown>[]> {
  const { stdout } = await promisify(execFile)(await resolveKubectl(), [
    '--kubeconfig',
    kubeconfig,
    'create',
    '--dry-run=client',
    '--validate=false',
    '-o',
    'json',
    '-f',
    path.join(root, file),
  ]);
  return JSON.parse(`[${stdout.replace(/\n}\n{/g, '\n},\n{')}]`) as Record<string, unknown>[];
}

/** The expected stream: the files ArgoCD reads, in its order (written out by hand), each read by kubectl. */
async function expected(files: string[]): Promise<string> {
  const objects = [];
  for (const file of files) for (const object of await kubectlObjects(file)) objects.push({ file, object });
  return canonicalStream(objects);
}

const source = (fields: Partial<DirectorySource>): DirectorySource => ({
  kind: 'directory',
  path: 'apps',
  recurse: false,
  include: '',
  exclude: '',
  ...fields,
});

describe('directory sources', () => {
  it('reads the top directory only, every document and List item, JSON and YAML, ignoring files that are no manifests', async () => {
    const out = renderDirectory(root, source({}));
    expect(out).toBe(await expected(['apps/a.yaml', 'apps/b.yml', 'apps/svc.json']));
    expect(out).toContain('---\n# Source: apps/a.yaml\napiVersion: v1\ndata:\n  flag: "yes"\n  time: "12:30"\n  z: "1"\nkind: ConfigMap\n');
  });

  it('with recurse walks subdirectories in name order, skipping marked files and dot-directories', async () => {
    expect(renderDirectory(root, source({ recurse: true }))).toBe(
      await expected(['apps/a.yaml', 'apps/b.yml', 'apps/sub/deploy.yaml', 'apps/sub/more/x.json', 'apps/svc.json']),
    );
  });

  it("applies ArgoCD's include and exclude globs to the path below the source directory ({a,b}; * crosses /)", async () => {
    expect(renderDirectory(root, source({ recurse: true, include: '{*.json,sub/*.yaml}' }))).toBe(
      await expected(['apps/sub/deploy.yaml', 'apps/sub/more/x.json', 'apps/svc.json']),
    );
    expect(renderDirectory(root, source({ recurse: true, exclude: 'sub/*' }))).toBe(await expected(['apps/a.yaml', 'apps/b.yml', 'apps/svc.json']));
    expect(renderDirectory(root, source({ recurse: true, include: '*.y*ml', exclude: '{b.yml,sub/more/*}' }))).toBe(
      await expected(['apps/a.yaml', 'apps/sub/deploy.yaml']),
    );
  });

  it('refuses jsonnet, several objects in a JSON file, a broken document after a good one and symlinks leaving the repository', async () => {
    const cases: [string, string, string][] = [
      ['bad1/x.jsonnet', '{}', 'bad1/x.jsonnet: jsonnet is not supported in directory bad1'],
      [
        'bad2/x.json',
        '{"kind":"A","apiVersion":"v1"}\n{"kind":"B","apiVersion":"v1"}',
        'bad2/x.json: found multiple objects; only single objects are allowed in JSON files',
      ],
      ['bad3/x.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\nmetadata: {name: b}\n', "bad3/x.yaml: document 2: Object 'Kind' is missing"],
    ];
    for (const [file, text, message] of cases) {
      await mkdir(path.dirname(path.join(root, file)), { recursive: true });
      await writeFile(path.join(root, file), text);
      const error = (() => {
        try {
          renderDirectory(root, source({ path: path.dirname(file) }));
        } catch (err) {
          return err;
        }
      })();
      expect(error).toBeInstanceOf(HomelabError);
      expect((error as HomelabError).message).toBe(message);
    }
    const outside = await mkdtemp(path.join(tmpdir(), 'outside-'));
    await writeFile(path.join(outside, 'secret.yaml'), 'apiVersion: v1\nkind: Secret\nmetadata: {name: s}\n');
    await mkdir(path.join(root, 'bad4'));
    await symlink(path.join(outside, 'secret.yaml'), path.join(root, 'bad4', 'link.yaml'));
    expect(() => renderDirectory(root, source({ path: 'bad4' }))).toThrow(/^bad4\/link\.yaml is a symlink to .*outside the repository$/);
    expect(() => renderDirectory(root, source({ path: 'missing' }))).toThrow('directory missing does not exist');
  });
});
