// docs/reliability.md stays true: rows of its table are made again in a copy of the example workspace, the documented
// command is run as written, and the documented line must appear verbatim with the documented exit code.
import { generateIdentity } from 'age-encryption';
import { execa } from 'execa';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createExampleRepo, type ExampleRepo } from './affected/example-repo.ts';
import { childEnv, repoRoot } from './support/workspace.ts';

interface Row {
  command: string;
  line: string;
  exit: number;
}

/** `| bad input | `command` | `` line `` | exit |` rows, by their bad input. */
function documentedRows(): Map<string, Row> {
  const rows = new Map<string, Row>();
  for (const text of readFileSync(path.join(repoRoot, 'docs/reliability.md'), 'utf8').split('\n')) {
    const match = /^\| (.+?) \| `(.+?)` \| `` (.+) `` \| (\d+) \|$/.exec(text);
    if (match) rows.set(match[1], { command: match[2], line: match[3].replaceAll('\\|', '|'), exit: Number(match[4]) });
  }
  return rows;
}

const M = 'clusters/home/apps/monitoring.yaml';
const kubeconfig = (context: string, server: string) =>
  `apiVersion: v1\nkind: Config\nclusters:\n- name: ${context}\n  cluster:\n    server: ${server}\ncontexts:\n- name: ${context}\n  context:\n    cluster: ${context}\n    user: admin\nusers:\n- name: admin\n  user:\n    token: not-a-real-token\ncurrent-context: ${context}\n`;
/** The Node version is the machine's: a row's line is compared with it normalized. */
const nodeVersion = (text: string) => text.replace(/\(this is v[\d.]+\)/g, '(this is <node>)');

/** A Node older than 22.18 on PATH (the machine's own, when the tests run on a provisioned Node 22), if any. */
const olderNode = (process.env.PATH ?? '')
  .split(path.delimiter)
  .map((dir) => path.join(dir, 'node'))
  .filter((bin) => existsSync(bin) && realpathSync(bin) !== realpathSync(process.execPath))
  .find((bin) => {
    const [major, minor] = execFileSync(bin, ['-p', 'process.versions.node']).toString().trim().split('.').map(Number);
    return major < 22 || (major === 22 && minor < 18);
  });

let repo: ExampleRepo;
const edit = (file: string, from: string, to: string) => () => {
  const text = repo.read(file);
  if (!text.includes(from)) throw new Error(`${file} has no ${from}`);
  repo.write(file, text.replace(from, to));
};

/** How each checked row's bad input is made; the command and the line come from the table. */
const made: Record<string, { setup?: () => void; env?: () => Promise<Record<string, string>> | Record<string, string>; skip?: boolean }> = {
  'Broken YAML in an Application (`project: [homelab`)': { setup: edit(M, '  project: homelab', '  project: [homelab') },
  'An unknown chart or release': {},
  'A library chart as the target': {},
  'A value file that does not exist (`values-prod.yaml`)': { setup: edit(M, '- values.yaml', '- values-prod.yaml') },
  'An invalid namespace (`Monitoring_NS!`)': { setup: edit(M, 'namespace: monitoring\n', 'namespace: Monitoring_NS!\n') },
  'A template error in a chart (`{{ .Values.nope.deeper }}`)': {
    setup: () => repo.write('charts/monitoring/templates/zz-broken.yaml', '{{ .Values.nope.deeper }}\n'),
  },
  'A wrong age key (`SOPS_AGE_KEY` of another identity)': { env: async () => ({ SOPS_AGE_KEY: await generateIdentity() }) },
  'A tampered secrets.yaml (one ciphertext character changed)': {
    setup: () =>
      repo.write(
        'secrets.yaml',
        repo.read('secrets.yaml').replace(/(: ENC\[AES256_GCM,data:)(.)/, (_, head: string, c: string) => head + (c === 'A' ? 'B' : 'A')),
      ),
  },
  '`--output-dir` at an existing file': { setup: () => repo.write('out.txt', 'not a directory\n') },
  // The hack launchers are JavaScript any Node runs: the row needs a real older Node first on PATH.
  'Node older than 22.18': { env: () => ({ PATH: `${path.dirname(olderNode!)}${path.delimiter}${process.env.PATH ?? ''}` }), skip: !olderNode },
  'A broken nx.json (hack scripts keep working, one warning)': { setup: () => repo.write('nx.json', '{ "plugins": [ this is not json') },
  '`--context` pointing at another server than cluster.yaml declares': {
    setup: () => repo.write('kube-other.yaml', kubeconfig('other', 'https://work.example.invalid:6443')),
  },
  '`KUBECONFIG` at a missing file': { env: () => ({ KUBECONFIG: 'missing-kubeconfig.yaml' }) },
  'An unreachable cluster': {
    setup: () => {
      repo.write('kube-unreachable.yaml', kubeconfig('home', 'https://127.0.0.1:1'));
      edit('clusters/home/cluster.yaml', 'https://home.example.invalid:6443', 'https://127.0.0.1:1')();
    },
  },
  'An unknown configuration': {},
  'A cluster command on an app of several environments': {},
};

describe('docs/reliability.md', () => {
  const rows = documentedRows();
  beforeAll(() => {
    repo = createExampleRepo();
  });
  afterAll(() => repo.dispose());

  it('documents at least 30 bad inputs, and every row checked here is one of them', () => {
    expect(rows.size).toBeGreaterThanOrEqual(30);
    expect(Object.keys(made).filter((input) => !rows.has(input))).toEqual([]);
  });

  for (const [input, { setup, env, skip }] of Object.entries(made)) {
    it.skipIf(skip)(input, async () => {
      const row = rows.get(input)!;
      repo.git('checkout', '--quiet', '--', '.');
      repo.git('clean', '-fdq');
      setup?.();
      const [program, ...args] = row.command.replace(/^npx /, '').split(' ');
      const [file, argv] =
        program === 'nx' ? [process.execPath, [path.join(repo.root, 'node_modules/nx/dist/bin/nx.js'), ...args]] : [path.join(repo.root, program), args];
      const child = await execa(file, argv, { cwd: repo.root, env: childEnv(await env?.()), reject: false, stdin: 'ignore' });
      const output = stripVTControlCharacters(`${String(child.stderr)}\n${String(child.stdout)}`)
        .split(repo.root)
        .join('<repo>');
      expect(nodeVersion(output)).toContain(nodeVersion(row.line));
      expect(child.exitCode).toBe(row.exit);
    });
  }
});
