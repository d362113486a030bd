// A throwaway git repository holding a copy of this workspace (the example homelab and the tooling), in
// which tests and the benchmark commit changes and ask the real Nx and our affected command what they hit.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const workspaceRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Environment for a real, isolated Nx: no daemon, no cloud, no inherited base/head. */
export function nxEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_TUI: 'false', CI: 'true' };
  delete env.NX_BASE;
  delete env.NX_HEAD;
  return env;
}

export interface ExampleRepo {
  root: string;
  git(...args: string[]): string;
  /** Commits the working tree (all changes) and returns the new sha. */
  commit(message: string): string;
  write(file: string, text: string): void;
  read(file: string): string;
  remove(file: string): void;
  /** Runs the real Nx CLI of this workspace in the repo. */
  nx(...args: string[]): string;
  dispose(): void;
}

/**
 * Copies every file git would see in this workspace (tracked and untracked-but-not-ignored, so work in
 * progress is tested too) and the package's build, links node_modules entry by entry except `@homelab/nx`, which
 * points at the copy's own tools/homelab (its source files are then what Nx hashes as tooling inputs).
 */
export function createExampleRepo(): ExampleRepo {
  const root = mkdtempSync(path.join(tmpdir(), 'homelab-affected-'));
  const files = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: workspaceRoot })
    .toString('utf8')
    .split('\0')
    .filter(Boolean);
  for (const file of files) {
    mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    try {
      cpSync(path.join(workspaceRoot, file), path.join(root, file), { dereference: false });
    } catch (err) {
      // Gone since it was listed (a deleted tracked file, or a temporary file of a helm run elsewhere): not copied.
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
  const modules = path.join(workspaceRoot, 'node_modules');
  mkdirSync(path.join(root, 'node_modules', '@homelab'), { recursive: true });
  for (const entry of readdirSync(modules)) {
    if (entry === '@homelab') continue;
    symlinkSync(path.join(modules, entry), path.join(root, 'node_modules', entry));
  }
  symlinkSync('../../tools/homelab', path.join(root, 'node_modules', '@homelab', 'nx'));
  // The package's build (gitignored, made by test/support/build-package.ts): what Nx and the hack launchers run.
  cpSync(path.join(workspaceRoot, 'tools/homelab/dist'), path.join(root, 'tools/homelab/dist'), { recursive: true });

  const git = (...args: string[]) =>
    execFileSync('git', args, { cwd: root, env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1' }, stdio: ['ignore', 'pipe', 'pipe'] }).toString('utf8');
  git('init', '--quiet', '--initial-branch=main');
  git('config', 'user.email', 'ci@example.invalid');
  git('config', 'user.name', 'CI');
  git('config', 'commit.gpgsign', 'false');
  const repo: ExampleRepo = {
    root,
    git,
    commit(message) {
      git('add', '--all');
      git('commit', '--quiet', '--allow-empty', '-m', message);
      return git('rev-parse', 'HEAD').trim();
    },
    write(file, text) {
      mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
      writeFileSync(path.join(root, file), text);
    },
    read: (file) => readFileSync(path.join(root, file), 'utf8'),
    remove: (file) => rmSync(path.join(root, file), { recursive: true, force: true }),
    nx: (...args) =>
      execFileSync(process.execPath, [path.join(root, 'node_modules', 'nx', 'dist', 'bin', 'nx.js'), ...args], {
        cwd: root,
        env: nxEnv(),
        stdio: ['ignore', 'pipe', 'pipe'],
        maxBuffer: 64 * 1024 * 1024,
      }).toString('utf8'),
    dispose: () => rmSync(root, { recursive: true, force: true }),
  };
  repo.commit('example workspace');
  return repo;
}

/** `nx show projects --affected -t <targets>` between two commits, sorted. */
export function nxAffected(repo: ExampleRepo, base: string, head: string, targets = ['render']): string[] {
  const out = repo.nx('show', 'projects', '--affected', '-t', ...targets, '--base', base, '--head', head, '--json');
  return (JSON.parse(out.slice(out.indexOf('['))) as string[]).sort();
}
