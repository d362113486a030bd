import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { parse } from 'yaml';
import { HomelabError } from '../model/errors.ts';
import { findOnPath } from '../helm/helm.ts';
import { failureLine, runTool } from '../exec/process.ts';

/** Runs the Ansible of provision/ (Nx-free): syntax check + lint, and the real (or --check) apply. */

const PLAYBOOK = 'site.yaml';
const EXAMPLE_INVENTORY = 'inventory.example.yaml';
const INSTALL_HINT = 'apt-get install ansible-core / pipx install ansible-core';

export interface ProvisionCheckOptions {
  root: string;
  /** Workspace-relative directory holding ansible.cfg and site.yaml. */
  provisionDir?: string;
  /** Where to look for ansible-playbook / ansible-lint (tests narrow PATH). */
  env?: NodeJS.ProcessEnv;
}

/** One problem found by `ansible-playbook --syntax-check` or ansible-lint. */
export interface ProvisionFinding {
  /** Workspace-relative file. */
  file: string;
  line?: number;
  column?: number;
  /** `syntax-check`, or the ansible-lint rule (e.g. `name[missing]`). */
  rule: string;
  message: string;
}

export interface ProvisionCheckResult {
  /** Workspace-relative playbooks that were syntax-checked. */
  playbooks: string[];
  findings: ProvisionFinding[];
  lint: { ran: true } | { ran: false; reason: string };
}

export interface ProvisionApplyOptions {
  root: string;
  /** Workspace-relative or absolute; default `<provisionDir>/inventory.yaml`. */
  inventory?: string;
  /** `--check --diff`: report what would change, change nothing. */
  check: boolean;
  limit?: string;
  tags?: string[];
  provisionDir?: string;
  env?: NodeJS.ProcessEnv;
}

/** `provision/site.yaml:4:7: conflicting action statements: … (syntax-check)` */
export function findingLine(finding: ProvisionFinding): string {
  const at = [finding.file, finding.line, finding.column].filter((part) => part !== undefined).join(':');
  return `${at}: ${finding.message} (${finding.rule})`;
}

/**
 * Syntax-checks every playbook of the provision directory against the example inventory, then runs
 * ansible-lint when it is on PATH and the syntax is clean. Findings are returned; only a check that
 * cannot run at all (no ansible-playbook, no site.yaml or example inventory) throws.
 */
export async function provisionCheck(options: ProvisionCheckOptions): Promise<ProvisionCheckResult> {
  const { root, provisionDir = 'provision', env = process.env } = options;
  const dir = path.resolve(root, provisionDir);
  const rel = (file: string) => toPosix(path.relative(root, path.resolve(dir, file)));
  await requireFile(path.join(dir, PLAYBOOK), `${rel(PLAYBOOK)} not found`, `run from the workspace root that holds ${provisionDir}/`);
  await requireFile(path.join(dir, EXAMPLE_INVENTORY), `${rel(EXAMPLE_INVENTORY)} not found`, 'the syntax check needs it: restore it from git');
  const ansiblePlaybook = await requireAnsiblePlaybook(env);
  const toolEnv = { ...env, ANSIBLE_NOCOLOR: '1' };

  const playbooks = await findPlaybooks(dir);
  const results = await Promise.all(
    playbooks.map((file) => runTool(ansiblePlaybook, ['-i', EXAMPLE_INVENTORY, '--syntax-check', file], { cwd: dir, env: toolEnv })),
  );
  const findings = results.flatMap((result, index) =>
    result.exitCode === 0 ? [] : [syntaxFinding(result.stderr || result.stdout, path.join(dir, playbooks[index]), root)],
  );

  const lintBin = await findOnPath('ansible-lint', env.PATH ?? '');
  let lint: ProvisionCheckResult['lint'];
  if (!lintBin) {
    lint = { ran: false, reason: 'ansible-lint not on PATH (apt-get install ansible-lint to also lint provision/)' };
  } else if (findings.length > 0) {
    // ansible-lint would only repeat the syntax errors as syntax-check[specific].
    lint = { ran: false, reason: 'ansible-lint not run: fix the syntax errors first' };
  } else {
    findings.push(...(await runLint(lintBin, dir, root, toolEnv)));
    lint = { ran: true };
  }
  return { playbooks: playbooks.map(rel), findings, lint };
}

/**
 * The exact argv `provisionApply` runs, from the provision directory, for display before confirming.
 * The inventory is shown relative to that directory when it lies inside it.
 */
export function describeApply(options: ProvisionApplyOptions): string[] {
  const dir = path.resolve(options.root, options.provisionDir ?? 'provision');
  const inventory = inventoryPath(options);
  const relative = path.relative(dir, inventory);
  const shown = relative.startsWith('..') || path.isAbsolute(relative) ? inventory : toPosix(relative);
  return [
    'ansible-playbook',
    '-i',
    shown,
    PLAYBOOK,
    ...(options.check ? ['--check', '--diff'] : []),
    ...(options.limit ? ['--limit', options.limit] : []),
    ...(options.tags && options.tags.length > 0 ? ['--tags', options.tags.join(',')] : []),
  ];
}

// ansible-playbook's exit codes (ansible-core's CLI and task queue manager).
const APPLY_HINTS: Record<number, string> = {
  1: 'see the error above',
  2: 'see the failed task above, fix it and re-run: every task is idempotent',
  4: 'a host was unreachable (check ansible_host, ansible_user and SSH keys) or a file does not parse (run the provision check)',
  5: 'bad command-line options: check --limit and --tags',
  8: 'see the failed task above, fix it and re-run: every task is idempotent',
  99: 'interrupted: re-run it, every task is idempotent',
};

/**
 * Runs site.yaml against the inventory, output streamed to this terminal (stdin too: SSH host-key
 * and sudo prompts stay answerable). Refuses a missing inventory; throws on a failed run.
 */
export async function provisionApply(options: ProvisionApplyOptions): Promise<void> {
  const { root, provisionDir = 'provision', env = process.env } = options;
  const dir = path.resolve(root, provisionDir);
  const inventory = inventoryPath(options);
  await requireFile(
    inventory,
    `${toPosix(path.relative(root, inventory))} not found`,
    `copy ${provisionDir}/${EXAMPLE_INVENTORY} to ${provisionDir}/inventory.yaml and list your nodes`,
  );
  const ansiblePlaybook = await requireAnsiblePlaybook(env);
  const [, ...args] = describeApply(options);
  const result = await execa(ansiblePlaybook, args, { cwd: dir, env, stdio: 'inherit', reject: false });
  if (result.exitCode === 0) return;
  const what = `ansible-playbook ${PLAYBOOK}${options.check ? ' --check' : ''}`;
  if (result.signal) throw new HomelabError(`${what} interrupted (${result.signal})`, 're-run it: every task is idempotent');
  const hint = APPLY_HINTS[result.exitCode ?? 1] ?? APPLY_HINTS[1];
  throw new HomelabError(`${what} failed (exit ${result.exitCode ?? 'unknown'})`, hint);
}

function inventoryPath(options: ProvisionApplyOptions): string {
  const dir = path.resolve(options.root, options.provisionDir ?? 'provision');
  return options.inventory ? path.resolve(options.root, options.inventory) : path.join(dir, 'inventory.yaml');
}

async function requireAnsiblePlaybook(env: NodeJS.ProcessEnv): Promise<string> {
  const bin = await findOnPath('ansible-playbook', env.PATH ?? '');
  if (!bin) throw new HomelabError('ansible-playbook not found', INSTALL_HINT);
  return bin;
}

async function requireFile(file: string, message: string, hint: string): Promise<void> {
  const info = await stat(file).catch(() => undefined);
  if (!info?.isFile()) throw new HomelabError(message, hint);
}

/**
 * site.yaml plus every other top-level YAML file that is a playbook: a list of plays (`hosts:`) or
 * playbook imports. A file that does not parse is checked too, so ansible reports where it breaks.
 */
async function findPlaybooks(dir: string): Promise<string[]> {
  const others = (await readdir(dir)).filter((name) => /\.ya?ml$/.test(name) && name !== PLAYBOOK).sort();
  const playbooks = [PLAYBOOK];
  for (const name of others) {
    if (isPlaybook(await readFile(path.join(dir, name), 'utf8'))) playbooks.push(name);
  }
  return playbooks;
}

function isPlaybook(text: string): boolean {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch {
    return true;
  }
  return (
    Array.isArray(doc) &&
    doc.length > 0 &&
    doc.every(
      (play) => typeof play === 'object' && play !== null && ('hosts' in play || 'import_playbook' in play || 'ansible.builtin.import_playbook' in play),
    )
  );
}

/**
 * One finding from ansible-playbook's error text. ansible-core <= 2.18 prints `ERROR! …` and
 * "The error appears to be in '<file>': line N, column M"; 2.19+ prints `[ERROR]: …` and `Origin: <file>:N:M`.
 */
function syntaxFinding(output: string, playbook: string, root: string): ProvisionFinding {
  const lines = output.split('\n').map((line) => line.trim());
  const yamlIndex = lines.findIndex((line) => line.startsWith('Syntax Error while loading YAML'));
  const yamlProblem = yamlIndex >= 0 ? lines.slice(yamlIndex + 1).find(Boolean) : undefined;
  const error = lines.map((line) => /^(?:ERROR!|\[ERROR\]:)\s*(.*)$/.exec(line)?.[1]).find(Boolean);
  const message = yamlProblem ? `invalid YAML: ${yamlProblem}` : (error ?? failureLine(output));
  const location = /The error appears to be in '([^']+)': line (\d+), column (\d+)/.exec(output) ?? /Origin: (\S+?):(\d+):(\d+)/.exec(output);
  return {
    file: toPosix(path.relative(root, location?.[1] ?? playbook)),
    ...(location ? { line: Number(location[2]), column: Number(location[3]) } : {}),
    rule: 'syntax-check',
    message,
  };
}

/** ansible-lint exits 0 when clean and 2 with findings; anything else means it could not lint. */
async function runLint(bin: string, dir: string, root: string, env: NodeJS.ProcessEnv): Promise<ProvisionFinding[]> {
  // --offline: never install collections or roles while checking; -p: one `file:line[:col]: rule: message` per finding.
  const result = await runTool(bin, ['--offline', '-p', '--nocolor'], { cwd: dir, env: { ...env, NO_COLOR: '1' } });
  if (result.exitCode !== 0 && result.exitCode !== 2) {
    throw new HomelabError(
      `ansible-lint failed on ${toPosix(path.relative(root, dir))}/ (exit ${result.exitCode}): ${failureLine(result.stderr)}`,
      'run ansible-lint in that directory to see why',
    );
  }
  const findings = result.stdout.split('\n').flatMap((line): ProvisionFinding[] => {
    const match = /^(.+?):(\d+)(?::(\d+))?: (\S+): (.*)$/.exec(line.trim());
    if (!match) return [];
    return [
      {
        file: toPosix(path.relative(root, path.resolve(dir, match[1]))),
        line: Number(match[2]),
        ...(match[3] ? { column: Number(match[3]) } : {}),
        rule: match[4],
        message: match[5],
      },
    ];
  });
  // A failed lint whose report we cannot read must not pass as clean.
  if (result.exitCode === 2 && findings.length === 0) {
    const where = toPosix(path.relative(root, dir));
    findings.push({ file: where, rule: 'ansible-lint', message: failureLine(result.stderr || result.stdout) });
  }
  return findings;
}

function toPosix(file: string): string {
  return file.split(path.sep).join('/');
}
