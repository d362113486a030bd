// Flags helm and kubectl users type without reading the help, through the real hack/ launchers on a copy of the
// example: --kube-context is --context (guarded the same way), -n filters or refuses in one line, and --show-only
// renders part of a chart with a comment saying so.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startClusterRepo, type ClusterRepo } from '../helpers/cluster-repo.ts';

let cluster: ClusterRepo;
let kubeconfig: string;

beforeAll(async () => {
  // "other" is a second cluster in the same kubeconfig: acting on it from clusters/home must be refused.
  cluster = await startClusterRepo({ other: true });
  kubeconfig = cluster.kubeconfig;
});
afterAll(async () => {
  await cluster?.dispose();
});

// Every run names home: monitoring runs in lab too, and a cluster command acts on one environment.
const hack = (cmd: string, ...args: string[]) => cluster.hack(cmd, ...args, '--cluster', 'home');

/** The one line a refused run printed (nothing on stdout, no request to the cluster). */
function refusal(result: { exitCode?: number; stdout: string; stderr: string }): string {
  expect(result.exitCode, result.stdout + result.stderr).not.toBe(0);
  expect(result.stdout).toBe('');
  expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
  return result.stderr.trimEnd();
}

describe('--kube-context', () => {
  const commands: [string, string[]][] = [
    ['install', ['--dry-run']],
    ['uninstall', ['--dry-run', '--yes']],
    ['diff', ['--dry-run']],
    ['status', []],
  ];

  it.each(commands)('hack/%s: another cluster is refused exactly as with --context', async (cmd, extra) => {
    const before = cluster.api.requests.length;
    const alias = await hack(cmd, 'monitoring', '--kubeconfig', kubeconfig, '--kube-context', 'other', ...extra);
    const context = await hack(cmd, 'monitoring', '--kubeconfig', kubeconfig, '--context', 'other', ...extra);
    expect(refusal(alias)).toContain('refusing to act on another cluster');
    expect(alias.stderr).toBe(context.stderr);
    expect(alias.exitCode).toBe(context.exitCode);
    expect(cluster.api.requests.length).toBe(before);
  });

  it('names the context every invocation uses', async () => {
    const result = await hack('install', 'monitoring', '--kubeconfig', kubeconfig, '--kube-context', 'home', '--dry-run');
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toContain('--kube-context home');
  });

  it('disagreeing with --context is refused', async () => {
    const result = await hack('diff', 'monitoring', '--kubeconfig', kubeconfig, '--context', 'home', '--kube-context', 'other', '--dry-run');
    expect(refusal(result)).toBe('✖ --context home and --kube-context other disagree — give one of them');
  });
});

describe('-n/--namespace', () => {
  it.each([
    ['template', ['--keyless']],
    ['diff', ['--kubeconfig', kubeconfig, '--dry-run']],
    ['install', ['--kubeconfig', kubeconfig, '--dry-run']],
  ])("hack/%s: another namespace is refused in one line naming the Application's", async (cmd, extra) => {
    expect(refusal(await hack(cmd, 'monitoring', '-n', 'default', ...extra))).toBe(
      '✖ -n default: the namespace comes from the Application, and monitoring deploys to namespace monitoring — drop -n, or change destination.namespace in the Application',
    );
  });

  it('the resolved namespace is accepted: the same render, the same install', async () => {
    const plain = await hack('template', 'monitoring', '--keyless');
    expect(plain.exitCode, plain.stderr).toBe(0);
    expect(await hack('template', 'monitoring', '--keyless', '-n', 'monitoring')).toMatchObject({ exitCode: 0, stdout: plain.stdout });
    const install = await hack('install', 'monitoring', '--kubeconfig', kubeconfig, '--dry-run');
    expect(install.exitCode, install.stderr).toBe(0);
    expect(await hack('install', 'monitoring', '--kubeconfig', kubeconfig, '--dry-run', '--namespace', 'monitoring')).toMatchObject({
      exitCode: 0,
      stdout: install.stdout,
    });
  });
});

describe('--show-only', () => {
  it('renders only that template, after a comment saying it is not what ArgoCD renders', async () => {
    const full = await hack('template', 'monitoring', '--keyless');
    expect(full.stdout).toContain('# Source: monitoring/templates/prometheus.yaml');
    const part = await hack('template', 'monitoring', '--keyless', '--show-only', 'templates/grafana.yaml');
    expect(part.exitCode, part.stderr).toBe(0);
    const lines = part.stdout.split('\n');
    expect(lines[0]).toBe("# homelab: --show-only templates/grafana.yaml, differs from ArgoCD's render");
    const sources = new Set(lines.filter((l) => l.startsWith('# Source: ')));
    expect([...sources]).toEqual(['# Source: monitoring/templates/grafana.yaml']);
  });

  it("a template the chart does not have is helm's one-line error", async () => {
    expect(refusal(await hack('template', 'monitoring', '--keyless', '--show-only', 'templates/nope.yaml'))).toContain(
      'could not find template templates/nope.yaml in chart',
    );
  });
});
