// A GitOps repository laid out unlike the example (charts under k8s/apps and k8s/lib, Applications under
// argocd/<env>/), for the tests that install the package the way users do.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { childEnv, repoRoot } from '../support/workspace.ts';

export const KUBE_VERSION = '1.33.0';
const ORIGIN = 'https://git.example.invalid/me/gitops.git';

const application = (name: string, source: string, namespace: string) => `apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: ${name}
  namespace: argocd
spec:
  project: default
  source:
    repoURL: ${ORIGIN}
    targetRevision: main
${source}
  destination:
    server: https://kubernetes.default.svc
    namespace: ${namespace}
`;

const FILES: Record<string, string> = {
  '.gitignore': 'node_modules/\ndist/\n**/charts/*.tgz\n',
  'package.json': '{ "name": "gitops", "private": true }\n',
  'k8s/lib/base/Chart.yaml': 'apiVersion: v2\nname: base\nversion: 0.3.0\ntype: library\n',
  'k8s/lib/base/templates/_labels.tpl':
    '{{- define "base.labels" -}}\napp.kubernetes.io/name: {{ .Chart.Name }}\napp.kubernetes.io/instance: {{ .Release.Name }}\n{{- end -}}\n',
  'k8s/apps/whoami/Chart.yaml':
    'apiVersion: v2\nname: whoami\nversion: 1.2.0\ndependencies:\n  - name: base\n    version: 0.3.0\n    repository: file://../../lib/base\n',
  'k8s/apps/whoami/values.yaml': 'replicas: 1\nmessage: hello\n',
  'k8s/apps/whoami/values-prod.yaml': 'replicas: 2\n',
  'k8s/apps/whoami/templates/configmap.yaml':
    'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\n  labels:\n    {{- include "base.labels" . | nindent 4 }}\ndata:\n  message: {{ .Values.message | quote }}\n  replicas: {{ .Values.replicas | quote }}\n  kube: {{ .Capabilities.KubeVersion.Version | quote }}\n',
  'k8s/apps/echo/Chart.yaml': 'apiVersion: v2\nname: echo\nversion: 0.1.0\n',
  'k8s/apps/echo/values.yaml': 'greeting: hi\n',
  'k8s/apps/echo/templates/service.yaml':
    'apiVersion: v1\nkind: Service\nmetadata:\n  name: {{ .Release.Name }}\n  annotations:\n    greeting: {{ .Values.greeting | quote }}\nspec:\n  ports:\n    - port: 80\n',
  'argocd/prod/whoami.yaml': application(
    'whoami',
    '    path: k8s/apps/whoami\n    helm:\n      releaseName: hello\n      valueFiles:\n        - values.yaml\n        - values-prod.yaml\n      parameters:\n        - name: message\n          value: from-argocd',
    'web',
  ),
  'argocd/prod/echo.yaml': application('echo', '    path: k8s/apps/echo\n    helm:\n      values: |\n        greeting: prod', 'echo'),
  'argocd/staging/whoami.yaml': application('whoami', '    path: k8s/apps/whoami\n    helm:\n      valuesObject:\n        message: staging', 'web-staging'),
};

/** Writes the repository into `root` and commits it (Chart.lock included, as helm writes it once). */
export async function createGitopsRepo(root: string, helmBin: string): Promise<void> {
  for (const [file, text] of Object.entries(FILES)) {
    mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    writeFileSync(path.join(root, file), text);
  }
  await execa(helmBin, ['dependency', 'update', '--skip-refresh', 'k8s/apps/whoami'], { cwd: root, env: childEnv() });
  rmSync(path.join(root, 'k8s/apps/whoami/charts'), { recursive: true });
  const git = (...args: string[]) =>
    execa('git', ['-c', 'user.email=t@example.invalid', '-c', 'user.name=t', '-c', 'commit.gpgsign=false', ...args], { cwd: root });
  await git('init', '--quiet', '--initial-branch=main');
  await git('remote', 'add', 'origin', ORIGIN);
  await git('add', '--all');
  await git('commit', '--quiet', '-m', 'gitops');
}

/**
 * The environment of a command that runs npm (npm itself, init's install): npm reaches the registry for what its cache
 * lacks (the repository's own lockfile resolves ranges), not through the tests' dead proxy. Every other process keeps it.
 * Passed with execa's extendEnv: false (which would add the test process's proxy variables back).
 */
export const withoutProxy = (env: Record<string, string>): Record<string, string> =>
  Object.fromEntries(Object.entries(env).filter(([name]) => !/^(https?|all|no)_proxy$/i.test(name)));
export const npmEnv = (): Record<string, string> => withoutProxy(childEnv());

/** `npm i -D <specs…> nx@<this workspace's nx>` in `root`, from npm's cache where it can. */
export async function npmInstall(root: string, ...specs: string[]): Promise<void> {
  const { version } = JSON.parse(readFileSync(path.join(repoRoot, 'node_modules/nx/package.json'), 'utf8')) as { version: string };
  await execa('npm', ['i', '-D', ...specs, `nx@${version}`, '--prefer-offline', '--no-audit', '--no-fund'], { cwd: root, env: npmEnv(), extendEnv: false });
}

/** The environment of the user's commands: their helm, no TypeScript loading at all, Nx's files in the repository. */
export function userEnv(root: string, helmBin: string): Record<string, string> {
  const env = childEnv({
    // The helm a user has on PATH (the package does not install the bundled one: it is an optional peer).
    HELM_BIN: helmBin,
    NODE_OPTIONS: '--no-experimental-strip-types',
    NX_CACHE_DIRECTORY: path.join(root, '.nx/cache'),
    NX_WORKSPACE_DATA_DIRECTORY: path.join(root, '.nx/workspace-data'),
    // Before init writes nx.json, Nx takes the outermost directory with node_modules/nx as the workspace: pin it
    // to this repository whatever the temporary directory's parents hold.
    NX_WORKSPACE_ROOT_PATH: root,
  });
  delete env.NX_SKIP_NX_CACHE;
  return env;
}

/** The init command README documents for this layout. */
export const INIT = ['nx', 'g', '@homelab/nx:init', '--chartGlobs=k8s/*/*', '--clusterGlobs=argocd/*', `--kubeVersion=${KUBE_VERSION}`];

/** The number in Nx's "N out of M tasks" cache line, or undefined when every task ran. */
export function cachedTasks(output: string): { cached: number; of: number } | undefined {
  const m = /Nx read the output from the cache instead of running the command for (\d+) out of (\d+) tasks?/.exec(output);
  return m ? { cached: Number(m[1]), of: Number(m[2]) } : undefined;
}
