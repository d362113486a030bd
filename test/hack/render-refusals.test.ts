// Bad inputs on the render path, each through the real `hack/template` in a copy of the example workspace: what the
// user sees is one line naming the file (or the hung command) and the fix, and a non-zero exit.
import { chmodSync, copyFileSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { extractBundledHelm, withVersion } from '../../tools/homelab/src/core/helm/helm.ts';
import { createExampleRepo, type ExampleRepo } from '../affected/example-repo.ts';
import { childEnv } from '../support/workspace.ts';

let repo: ExampleRepo;
let scratch: string;
let shim: string;
/** The same shim as another binary: the dependency stamp of the skipped builds above is not its. */
let depsShim: string;
/** Helm 4 as bundled, whatever helm is on PATH: the expected lines quote its words. */
let helm4: string;

/**
 * A helm that hangs where $HANG says (version, dependency, template) with a child of its own holding the output
 * pipes, as a wrapper script or plugin would; it answers `version` at once otherwise, skips `dependency build`
 * (the archives are built beforehand), and passes everything else to the real helm.
 */
function writeShim(real: string, name: string): string {
  const file = path.join(scratch, name);
  writeFileSync(
    file,
    [
      '#!/bin/bash',
      'hang() { sleep 300 & sleep 300; }',
      'case "$1" in',
      '  version) [ "$HANG" = version ] && hang; echo v4.1.4; exit 0 ;;',
      '  dependency) [ "$HANG" = dependency ] && hang; exit 0 ;;',
      '  template) [ "$HANG" = template ] && hang ;;',
      'esac',
      `exec ${JSON.stringify(real)} "$@"`,
      '',
    ].join('\n'),
  );
  chmodSync(file, 0o755);
  return file;
}

async function template(target: string, env: Record<string, string> = {}) {
  const child = await execa(path.join(repo.root, 'hack', 'template'), [target], {
    cwd: repo.root,
    env: childEnv({ HELM_BIN: helm4, XDG_CACHE_HOME: path.join(scratch, 'cache'), ...env }),
    reject: false,
    stdin: 'ignore',
  });
  return { exitCode: child.exitCode, stdout: String(child.stdout), stderr: String(child.stderr) };
}

/** The one line a failed run printed. */
function refusal(result: { exitCode?: number; stdout: string; stderr: string }): string {
  expect(result.exitCode).not.toBe(0);
  expect(result.stdout).toBe('');
  expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
  return result.stderr.trimEnd();
}

beforeAll(async () => {
  repo = createExampleRepo();
  scratch = mkdtempSync(path.join(tmpdir(), 'render-refusals-'));
  helm4 = await extractBundledHelm();
  // The archives of every file:// dependency, built by the real helm, so the shim may skip `dependency build`.
  const built = await template('monitoring');
  expect(built.exitCode, built.stderr).toBe(0);
  shim = writeShim(helm4, 'helm');
  depsShim = writeShim(helm4, 'helm-deps');
  // Their version, remembered where the children look (XDG_CACHE_HOME): no probe of theirs can time out under load.
  const cacheHome = process.env.XDG_CACHE_HOME;
  process.env.XDG_CACHE_HOME = path.join(scratch, 'cache');
  for (const bin of [shim, depsShim]) await withVersion(bin, 'HELM_BIN');
  if (cacheHome === undefined) delete process.env.XDG_CACHE_HOME;
  else process.env.XDG_CACHE_HOME = cacheHome;
});
afterAll(() => {
  repo?.dispose();
  rmSync(scratch, { recursive: true, force: true });
});

describe('a helm that hangs is killed after HOMELAB_HELM_TIMEOUT, and the line says what hung', () => {
  it('helm template', async () => {
    const result = await template('monitoring', { HELM_BIN: shim, HANG: 'template', HOMELAB_HELM_TIMEOUT: '1' });
    expect(refusal(result)).toBe(
      '✖ helm template of home/monitoring (charts/monitoring) timed out after 1 s and was killed — run it by hand to see where helm hangs, or raise HOMELAB_HELM_TIMEOUT (seconds) if it is only slow',
    );
  });

  it('helm dependency build', async () => {
    const result = await template('monitoring', { HELM_BIN: depsShim, HANG: 'dependency', HOMELAB_HELM_TIMEOUT: '1' });
    expect(refusal(result)).toBe(
      '✖ helm dependency build of charts/monitoring timed out after 1 s and was killed — run it by hand to see where helm hangs, or raise HOMELAB_HELM_TIMEOUT (seconds) if it is only slow',
    );
  });

  it('helm version (a binary probed for the first time)', async () => {
    const fresh = path.join(scratch, 'helm-never-probed');
    copyFileSync(shim, fresh);
    chmodSync(fresh, 0o755);
    const result = await template('monitoring', { HELM_BIN: fresh, HANG: 'version', HOMELAB_HELM_TIMEOUT: '1' });
    expect(refusal(result)).toBe(
      `✖ ${fresh} version timed out after 1 s and was killed — run it by hand to see where helm hangs, or raise HOMELAB_HELM_TIMEOUT (seconds) if it is only slow`,
    );
  });

  it('helm version in the version Nx hashes (the cache key of every render target)', async () => {
    const fresh = path.join(scratch, 'helm-never-probed-by-nx');
    copyFileSync(shim, fresh);
    chmodSync(fresh, 0o755);
    // The plugin's pre-task hook, as Nx runs it before hashing: the hang becomes the hashed value, one line.
    const hook = `const { helmVersionEnv } = await import(${JSON.stringify(path.join(repo.root, 'tools/homelab/src/plugin/helm-version-env.ts'))});
      process.stdout.write(Object.values(await helmVersionEnv()).join(''));`;
    const result = await execa(process.execPath, ['--input-type=module', '-e', hook], {
      cwd: repo.root,
      env: childEnv({ HELM_BIN: fresh, HANG: 'version', HOMELAB_HELM_TIMEOUT: '1', XDG_CACHE_HOME: path.join(scratch, 'cache') }),
      stdin: 'ignore',
    });
    expect(result.stdout).toBe(
      `✖ ${fresh} version timed out after 1 s and was killed — run it by hand to see where helm hangs, or raise HOMELAB_HELM_TIMEOUT (seconds) if it is only slow`,
    );
  });

  it('a timeout that is not a number of seconds', async () => {
    const result = await template('monitoring', { HELM_BIN: shim, HOMELAB_HELM_TIMEOUT: '5m' });
    expect(refusal(result)).toBe(
      '✖ HOMELAB_HELM_TIMEOUT=5m is not a number of seconds — set it to e.g. 600, or unset it for the defaults (30 s for helm version, 300 s for a render)',
    );
  });
});

describe('bad files', () => {
  it('a value file that is a symlink to a file outside the repository is refused, as ArgoCD does', async () => {
    const outside = path.join(realpathSync(scratch), 'values.yaml');
    writeFileSync(outside, repo.read('charts/networking/values.yaml'));
    const original = repo.read('charts/networking/values.yaml');
    repo.remove('charts/networking/values.yaml');
    symlinkSync(outside, path.join(repo.root, 'charts/networking/values.yaml'));
    try {
      expect(refusal(await template('networking'))).toBe(
        `✖ clusters/home/apps/networking.yaml: Application networking: value file values.yaml (charts/networking/values.yaml) resolves to ${outside}, outside the repository; ArgoCD refuses to read it — copy the file into the repository and point the Application at the copy`,
      );
    } finally {
      repo.remove('charts/networking/values.yaml');
      repo.write('charts/networking/values.yaml', original);
    }
  });

  it('a deleted secrets.yaml names the file and how to get it back, not the first Application reading it', async () => {
    const original = readFileSync(path.join(repo.root, 'secrets.yaml'));
    repo.remove('secrets.yaml');
    try {
      expect(refusal(await template('monitoring'))).toBe(
        '✖ secrets.yaml does not exist, yet Applications read it as secrets://../../secrets.yaml — restore it (git restore secrets.yaml), or start a new one with hack/secrets set <chart>.<key> --file secrets.yaml',
      );
    } finally {
      writeFileSync(path.join(repo.root, 'secrets.yaml'), original);
    }
  });

  it('a YAML alias bomb in an Application names the file', async () => {
    const nine = (alias: string) => `[${Array(9).fill(alias).join(', ')}]`;
    const levels = ['a: &a ["x", "x", "x", "x", "x", "x", "x", "x", "x"]'];
    for (const [name, previous] of [
      ['b', 'a'],
      ['c', 'b'],
      ['d', 'c'],
      ['e', 'd'],
      ['f', 'e'],
    ])
      levels.push(`${name}: &${name} ${nine(`*${previous}`)}`);
    repo.write(
      'clusters/home/apps/bomb.yaml',
      // It deploys monitoring: the file cannot be read, so the charts it names are the ones it breaks.
      [
        'apiVersion: argoproj.io/v1alpha1',
        'kind: Application',
        'metadata:',
        '  name: bomb',
        '  labels:',
        ...levels.map((l) => `    ${l}`),
        'spec:',
        '  source:',
        '    path: charts/monitoring',
        '',
      ].join('\n'),
    );
    try {
      expect(refusal(await template('monitoring'))).toBe(
        '✖ clusters/home/apps/bomb.yaml: YAML aliases expand to more than 1000 nodes (an alias bomb?) — write the values out instead of nesting aliases',
      );
    } finally {
      repo.remove('clusters/home/apps/bomb.yaml');
    }
  });

  it("a helm template error keeps helm's cause, not only its first line", async () => {
    repo.write('charts/monitoring/templates/zz-broken.yaml', '{{ .Values.nope.deeper }}\n');
    try {
      expect(refusal(await template('monitoring'))).toBe(
        '✖ helm template failed for home/monitoring (charts/monitoring): monitoring/templates/zz-broken.yaml:1:10 executing "monitoring/templates/zz-broken.yaml" at <.Values.nope.deeper>: nil pointer evaluating interface {}.deeper — fix the chart or its values, then run `hack/template` again to see the full render',
      );
    } finally {
      repo.remove('charts/monitoring/templates/zz-broken.yaml');
    }
  });

  it('a malformed values.yaml in a fresh clone (no packaged dependencies yet) names the file and line', async () => {
    const original = repo.read('charts/arr/values.yaml');
    repo.remove('charts/arr/charts');
    repo.write('charts/arr/values.yaml', `${original}broken: [unclosed\n  key: value\n`);
    const line = original.split('\n').length;
    try {
      expect(refusal(await template('arr'))).toBe(
        `✖ charts/arr/values.yaml:${line}: YAML syntax error: Implicit keys of flow sequence pairs need to be on a single line — fix the YAML syntax`,
      );
    } finally {
      repo.write('charts/arr/values.yaml', original);
    }
  });
});
