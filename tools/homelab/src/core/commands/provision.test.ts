import { cp, mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { HomelabError } from '../model/errors.ts';
import { findOnPath } from '../helm/helm.ts';
import { describeApply, findingLine, provisionApply, provisionCheck } from './provision.ts';

const repoRoot = fileURLToPath(new URL('../../../../../', import.meta.url));
const ansiblePlaybook = await findOnPath('ansible-playbook', process.env.PATH ?? '');
const kubectl = await findOnPath('kubectl', process.env.PATH ?? '');
const ansibleLint = await findOnPath('ansible-lint', process.env.PATH ?? '');

const noAnsible = ansiblePlaybook ? '' : ' [skipped: ansible-playbook not on PATH — apt-get install ansible-core]';
// The OS-prep subset asserts a Debian-family node; on anything else it would fail by design.
const notDebian = existsSync('/etc/debian_version') ? '' : ' [skipped: not a Debian-family machine]';
const noKubectl = kubectl ? '' : ' [skipped: kubectl not on PATH]';
for (const reason of [noAnsible, noAnsible ? '' : notDebian, noAnsible ? '' : noKubectl].filter(Boolean)) {
  console.warn(`provision.test.ts:${reason}`);
}

let scratch: string;
/** A workspace copy with provision/ and clusters/home/cluster.yaml, free to break. */
async function workspaceCopy(name: string): Promise<string> {
  const root = path.join(scratch, name);
  await cp(path.join(repoRoot, 'provision'), path.join(root, 'provision'), {
    recursive: true,
    // A developer's real inventory never leaves the checkout.
    filter: (src) => path.basename(src) !== 'inventory.yaml',
  });
  return root;
}

beforeAll(async () => {
  scratch = await mkdtemp(path.join(os.tmpdir(), 'homelab-provision-'));
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

describe('provisionApply and describeApply (no ansible needed)', () => {
  it('refuses a missing inventory with one line naming it and the fix', async () => {
    const root = await workspaceCopy('no-inventory');
    const error = await provisionApply({ root, check: true }).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(HomelabError);
    const line = (error as HomelabError).line();
    expect(line).toBe('provision/inventory.yaml not found — copy provision/inventory.example.yaml to provision/inventory.yaml and list your nodes');
    expect(line).not.toContain('\n');
  });

  it('describes check mode as ansible-playbook -i <inventory> site.yaml --check --diff', () => {
    const argv = describeApply({ root: repoRoot, check: true, limit: 'node2.home.arpa', tags: ['os', 'k3s'] });
    expect(argv).toEqual(['ansible-playbook', '-i', 'inventory.yaml', 'site.yaml', '--check', '--diff', '--limit', 'node2.home.arpa', '--tags', 'os,k3s']);
    expect(describeApply({ root: repoRoot, check: false, inventory: '/etc/ansible/hosts.yaml' })).toEqual([
      'ansible-playbook',
      '-i',
      '/etc/ansible/hosts.yaml',
      'site.yaml',
    ]);
  });

  it('names the missing ansible-playbook and how to install it', async () => {
    const emptyBin = path.join(scratch, 'empty-bin');
    await mkdir(emptyBin, { recursive: true });
    const error = await provisionCheck({ root: repoRoot, env: { ...process.env, PATH: emptyBin } }).catch((e: unknown) => e);
    expect((error as HomelabError).line()).toBe('ansible-playbook not found — apt-get install ansible-core / pipx install ansible-core');
  });
});

describe.skipIf(!ansiblePlaybook)(`provisionCheck with the real ansible-playbook${noAnsible}`, () => {
  it('passes on provision/ (every playbook syntax-checked, ansible-lint when present)', async () => {
    const result = await provisionCheck({ root: repoRoot });
    expect(result.findings.map(findingLine)).toEqual([]);
    expect(result.playbooks).toEqual(['provision/site.yaml']);
    expect(result.lint.ran).toBe(Boolean(ansibleLint));
  });

  it('reports a broken playbook as one precise line and does not lint over it', async () => {
    const root = await workspaceCopy('broken-play');
    // Two actions in one task: line 4, column 7 is where the task starts.
    await writeFile(
      path.join(root, 'provision', 'reboot.yaml'),
      [
        '- name: Reboot',
        '  hosts: all',
        '  tasks:',
        '    - name: Two modules in one task',
        '      ansible.builtin.debug:',
        '        msg: hi',
        '      ansible.builtin.command: reboot',
        '',
      ].join('\n'),
    );
    const result = await provisionCheck({ root });
    expect(result.playbooks).toEqual(['provision/site.yaml', 'provision/reboot.yaml']);
    expect(result.findings).toHaveLength(1);
    const line = findingLine(result.findings[0]);
    expect(line).toMatch(/^provision\/reboot\.yaml:4:7: conflicting action statements: .*\(syntax-check\)$/);
    expect(result.lint.ran).toBe(false);
  });

  it('points at the role file when YAML inside a role is broken', async () => {
    const root = await workspaceCopy('broken-role');
    const tasks = path.join(root, 'provision', 'roles', 'os', 'tasks', 'main.yaml');
    const text = await readFile(tasks, 'utf8');
    await writeFile(tasks, text.replace('- name: Install base packages', '- name: "Install base packages'));
    const [finding, ...rest] = (await provisionCheck({ root })).findings;
    expect(rest).toEqual([]);
    expect(finding.file).toBe('provision/roles/os/tasks/main.yaml');
    expect(finding.message).toMatch(/^invalid YAML: /);
    expect(finding.line).toBeGreaterThan(0);
  });

  it('says so when ansible-lint is not on PATH', async () => {
    const bin = path.join(scratch, 'only-ansible-playbook');
    await mkdir(bin, { recursive: true });
    await symlink(ansiblePlaybook!, path.join(bin, 'ansible-playbook'));
    const result = await provisionCheck({ root: repoRoot, env: { ...process.env, PATH: bin } });
    expect(result.findings).toEqual([]);
    expect(result.lint).toEqual({ ran: false, reason: expect.stringContaining('ansible-lint not on PATH') });
  });
});

describe.skipIf(!ansiblePlaybook)(`provisionApply running ansible-playbook${noAnsible}`, () => {
  it('turns an unreachable node into one line with the SSH hint', async () => {
    const root = await workspaceCopy('unreachable');
    // Nothing listens on loopback port 1: SSH is refused at once, no traffic leaves the machine.
    await writeFile(
      path.join(root, 'provision', 'inventory.yaml'),
      'all:\n  children:\n    k3s_cluster:\n      hosts:\n        127.0.0.1:\n          ansible_port: 1\n          ansible_user: nobody\n',
    );
    const error = await provisionApply({ root, check: true, tags: ['os-kernel'], env: { ...process.env, HOME: path.join(scratch, 'home-ssh') } }).catch(
      (err: unknown) => err,
    );
    expect((error as HomelabError).line()).toMatch(
      /^ansible-playbook site\.yaml --check failed \(exit 4\) — a host was unreachable \(check ansible_host, ansible_user and SSH keys\)/,
    );
  });
});

/** A one-node inventory: this machine, reached without SSH, in the groups site.yaml targets. */
async function localInventory(root: string): Promise<string> {
  const file = path.join(root, 'provision', 'inventory.yaml');
  await writeFile(
    file,
    [
      'all:',
      '  children:',
      '    k3s_cluster:',
      '      children:',
      '        server:',
      '          hosts:',
      '            localhost:',
      '              ansible_connection: local',
      `              ansible_python_interpreter: /usr/bin/python3`,
      '',
    ].join('\n'),
  );
  return file;
}

async function runPlaybook(root: string, argv: string[], home: string) {
  return execa(argv[0], argv.slice(1), {
    cwd: path.join(root, 'provision'),
    // Without sudo, as any user: these plays only touch temp files (or nothing, in check mode).
    env: { HOME: home, ANSIBLE_NOCOLOR: '1' },
    reject: false,
    all: true,
  });
}

describe.skipIf(!ansiblePlaybook || !!notDebian)(`site.yaml --check on localhost, OS kernel/swap subset${noAnsible || notDebian}`, () => {
  it('previews the module and sysctl files and writes none of them', async () => {
    const root = await workspaceCopy('local-check');
    const inventory = await localInventory(root);
    const watched = ['/etc/modules-load.d/k8s.conf', '/etc/sysctl.d/90-k8s.conf', '/etc/fstab'];
    const before = await Promise.all(watched.map((f) => readFile(f, 'utf8').catch(() => null)));
    const argv = describeApply({ root, inventory, check: true, tags: ['os-kernel', 'os-swap'] });
    const run = await runPlaybook(root, [...argv, '-e', 'ansible_become=false'], path.join(scratch, 'home-check'));
    expect(run.exitCode, run.all).toBe(0);
    expect(run.all).toMatch(/localhost\s+: ok=\d+\s+changed=\d+\s+unreachable=0\s+failed=0/);
    expect(run.all).toContain('TASK [os : Set sysctl for Kubernetes networking]');
    const after = await Promise.all(watched.map((f) => readFile(f, 'utf8').catch(() => null)));
    expect(after).toEqual(before);
  });
});

describe.skipIf(!ansiblePlaybook)(`site.yaml --check --tags k3s on localhost${noAnsible}`, () => {
  it('previews server and agent config from the inventory and cluster.yaml, installing nothing', async () => {
    const root = await workspaceCopy('k3s-check');
    await mkdir(path.join(root, 'clusters', 'home'), { recursive: true });
    await writeFile(path.join(root, 'clusters', 'home', 'cluster.yaml'), 'kubeContext: home\nserver: https://k3s.home.arpa:6443\nkubeVersion: "1.33.0"\n');
    // A fake release on disk (file:// URL): get_url resolves the checksum list like the real one, offline.
    const release = path.join(scratch, 'release');
    await mkdir(release, { recursive: true });
    for (const [binary, sums] of [
      ['k3s', 'amd64'],
      ['k3s-arm64', 'arm64'],
      ['k3s-armhf', 'arm'],
    ]) {
      await writeFile(path.join(release, binary), 'not really k3s\n');
      const digest = (await execa('sha256sum', [binary], { cwd: release })).stdout;
      await writeFile(path.join(release, `sha256sum-${sums}.txt`), `${digest}\n`);
    }
    // Two names for this machine: `srv` is the server, `localhost` the agent joining it.
    const inventory = path.join(root, 'provision', 'inventory.yaml');
    await writeFile(
      inventory,
      [
        'all:',
        '  vars:',
        '    ansible_connection: local',
        '    ansible_python_interpreter: /usr/bin/python3',
        '  children:',
        '    k3s_cluster:',
        '      children:',
        '        server:',
        '          hosts:',
        '            srv:',
        '              k3s_node_ip: 127.0.0.1',
        '        agent:',
        '          hosts:',
        '            localhost:',
        '              k3s_node_labels: [disktype=ssd]',
        '',
      ].join('\n'),
    );
    const watched = ['/etc/rancher/k3s/config.yaml', '/usr/local/bin/k3s', '/etc/systemd/system/k3s.service'];
    const before = await Promise.all(watched.map((f) => readFile(f, 'utf8').catch(() => null)));
    const argv = [
      ...describeApply({ root, inventory, check: true, tags: ['k3s'] }),
      '-e',
      'ansible_become=false',
      '-e',
      `k3s_release_url=file://${release}`,
      '-e',
      '{"k3s_disable": ["servicelb"]}',
    ];
    const run = await runPlaybook(root, argv, path.join(scratch, 'home-k3s'));
    expect(run.exitCode, run.all).toBe(0);
    const added = run.all
      .split('\n')
      .filter((line) => line.startsWith('+'))
      .join('\n');
    // Server: the declared API host joins the certificate SANs; bundled add-ons follow k3s_disable.
    expect(added).toContain('+disable:\n+- servicelb\n+https-listen-port: 6443\n+node-ip: 127.0.0.1\n+tls-san:\n+- k3s.home.arpa');
    expect(added).toContain('+ExecStart=/usr/local/bin/k3s server');
    // Agent: joins the server's node address with the token file, never an inline token.
    expect(added).toContain('+node-label:\n+- disktype=ssd\n+server: https://127.0.0.1:6443\n+token-file: /etc/rancher/k3s/token');
    expect(added).toContain('+ExecStart=/usr/local/bin/k3s agent');
    const after = await Promise.all(watched.map((f) => readFile(f, 'utf8').catch(() => null)));
    expect(after).toEqual(before);
  });
});

describe.skipIf(!ansiblePlaybook || !kubectl)(`site.yaml --tags kubeconfig on localhost${noAnsible || noKubectl}`, () => {
  it('merges a k3s admin kubeconfig as the declared context, keeps the rest, backs up, and is idempotent', async () => {
    const root = await workspaceCopy('kubeconfig');
    const inventory = await localInventory(root);
    const home = path.join(scratch, 'home-kubeconfig');
    await mkdir(path.join(home, '.kube'), { recursive: true });
    await mkdir(path.join(root, 'clusters', 'home'), { recursive: true });
    await writeFile(path.join(root, 'clusters', 'home', 'cluster.yaml'), 'kubeContext: home\nserver: https://k3s.home.arpa:6443\nkubeVersion: "1.33.0"\n');
    // What k3s writes: everything named `default`, the API on 127.0.0.1.
    const admin = path.join(scratch, 'k3s.yaml');
    await writeFile(
      admin,
      [
        'apiVersion: v1',
        'kind: Config',
        'clusters:',
        '- name: default',
        '  cluster:',
        '    certificate-authority-data: Q0EtTkVX',
        '    server: https://127.0.0.1:6443',
        'users:',
        '- name: default',
        '  user:',
        '    client-certificate-data: Q0VSVA==',
        '    client-key-data: S0VZ',
        'contexts:',
        '- name: default',
        '  context: {cluster: default, user: default}',
        'current-context: default',
        '',
      ].join('\n'),
    );
    // The operator's existing config: another cluster in use, and a stale `home` from a previous install.
    const kubeconfig = path.join(home, '.kube', 'config');
    await writeFile(
      kubeconfig,
      [
        'apiVersion: v1',
        'kind: Config',
        'clusters:',
        '- name: home',
        '  cluster: {server: "https://old:6443", certificate-authority-data: T0xE}',
        '- name: work',
        '  cluster: {server: "https://work.example:6443"}',
        'users:',
        '- name: home',
        '  user: {token: stale}',
        '- name: work',
        '  user: {token: work-token}',
        'contexts:',
        '- name: home',
        '  context: {cluster: home, user: home}',
        '- name: work',
        '  context: {cluster: work, user: work}',
        'current-context: work',
        '',
      ].join('\n'),
    );
    const argv = [
      ...describeApply({ root, inventory, check: false, tags: ['kubeconfig'] }),
      '-e',
      'ansible_become=false',
      '-e',
      `k3s_admin_kubeconfig=${admin}`,
    ];

    const first = await runPlaybook(root, argv, home);
    expect(first.exitCode, first.all).toBe(0);
    const merged = parse(await readFile(kubeconfig, 'utf8'));
    const byName = (list: { name: string }[], name: string) => list.find((entry) => entry.name === name);
    expect(byName(merged.clusters, 'home')).toEqual({
      name: 'home',
      cluster: { server: 'https://k3s.home.arpa:6443', 'certificate-authority-data': 'Q0EtTkVX' },
    });
    expect(byName(merged.users, 'home')).toEqual({
      name: 'home',
      user: { 'client-certificate-data': 'Q0VSVA==', 'client-key-data': 'S0VZ' },
    });
    expect(byName(merged.contexts, 'home')).toEqual({ name: 'home', context: { cluster: 'home', user: 'home' } });
    expect(byName(merged.contexts, 'work')).toBeDefined();
    expect(byName(merged.users, 'work')).toEqual({ name: 'work', user: { token: 'work-token' } });
    expect(merged['current-context']).toBe('work');
    expect(merged.clusters.map((c: { name: string }) => c.name).sort()).toEqual(['home', 'work']);
    // kubectl itself resolves the context to the declared server.
    const server = await execa(kubectl!, ['config', 'view', '--minify', '--context', 'home', '-o', 'jsonpath={.clusters[0].cluster.server}'], {
      env: { KUBECONFIG: kubeconfig },
    });
    expect(server.stdout).toBe('https://k3s.home.arpa:6443');
    const files = await readdir(path.join(home, '.kube'));
    expect(files.filter((f) => f.startsWith('config.') && f.endsWith('~'))).toHaveLength(1);
    expect(files.filter((f) => f.startsWith('.home-'))).toEqual([]);

    const second = await runPlaybook(root, argv, home);
    expect(second.exitCode, second.all).toBe(0);
    expect(second.all).toMatch(/localhost\s+: ok=\d+\s+changed=0\s/);
  });
});
