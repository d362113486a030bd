import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorLine } from '../model/errors.ts';
import { extractBundledHelm, pinnedHelm, resolveHelm, withVersion } from './helm.ts';
import { HELM_MIRROR_ENV, officialHelm, officialHelmPath } from './official-helm.ts';
import { PINNED_HELM, type Host } from './pinned-helm.ts';

const linuxArm64: Host = { platform: 'linux', arch: 'arm64' };
const darwinArm64: Host = { platform: 'darwin', arch: 'arm64' };

let work: string;
let mirror: { url: string; requests: string[]; close(): Promise<void> };
/** An archive laid out like helm's (`linux-arm64/helm`), holding the bundled helm so the result really runs. */
let archive: Buffer;

beforeAll(async () => {
  work = mkdtempSync(path.join(tmpdir(), 'official-helm-'));
  mkdirSync(path.join(work, 'tree', 'linux-arm64'), { recursive: true });
  copyFileSync(await extractBundledHelm(), path.join(work, 'tree', 'linux-arm64', 'helm'));
  execFileSync('tar', ['-czf', path.join(work, 'helm.tar.gz'), '-C', path.join(work, 'tree'), 'linux-arm64']);
  archive = readFileSync(path.join(work, 'helm.tar.gz'));
  const requests: string[] = [];
  const server = http.createServer((req, res) => {
    requests.push(req.url ?? '');
    if (req.url === `/helm-${PINNED_HELM.version}-linux-arm64.tar.gz`) res.end(archive);
    else res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  mirror = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
});

afterAll(async () => {
  await mirror?.close();
  rmSync(work, { recursive: true, force: true });
});

/** A fresh user cache per case, so no case sees another's download. */
const envWith = (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({
  PATH: '',
  XDG_CACHE_HOME: mkdtempSync(path.join(work, 'cache-')),
  [HELM_MIRROR_ENV]: mirror.url,
  ...extra,
});
const lineOf = (promise: Promise<unknown>) => promise.then(() => 'resolved', errorLine);

describe('the pinned helm where no package ships it', () => {
  it('pins the official archives of the bundled helm version for linux and darwin, amd64 and arm64', async () => {
    expect(Object.keys(PINNED_HELM.archives).sort()).toEqual(['darwin-amd64', 'darwin-arm64', 'linux-amd64', 'linux-arm64']);
    for (const digest of Object.values(PINNED_HELM.archives)) expect(digest).toMatch(/^[0-9a-f]{64}$/);
    // On linux-amd64 the layer package is the pinned helm: upgrading one without the other fails here.
    expect(await pinnedHelm({ PATH: '' })).toMatchObject({ version: PINNED_HELM.version, source: 'bundled' });
  });

  it('resolves HELM_BIN, then helm on PATH, then the pinned helm for the host', async () => {
    const bundled = await extractBundledHelm();
    const env = envWith();
    expect(await resolveHelm({ ...env, HELM_BIN: bundled }, linuxArm64)).toMatchObject({ source: 'HELM_BIN', bin: bundled });
    expect(await resolveHelm({ ...env, PATH: path.dirname(bundled) }, darwinArm64)).toMatchObject({ source: 'PATH', bin: bundled });
    expect(await resolveHelm(env, { platform: 'linux', arch: 'x64' })).toMatchObject({ source: 'bundled', version: PINNED_HELM.version });
    expect(mirror.requests).toEqual([]);
  });

  it('downloads the archive once, checks its digest, and keeps the binary in the user cache', async () => {
    const env = envWith();
    const pin = { ...PINNED_HELM, archives: { 'linux-arm64': createHash('sha256').update(archive).digest('hex') } };
    mirror.requests.length = 0;
    const bin = await officialHelm(linuxArm64, { env, timeoutMs: 30_000, pin });
    expect(bin).toBe(path.join(env.XDG_CACHE_HOME!, 'homelab', 'helm', `${PINNED_HELM.version}-linux-arm64`, 'helm'));
    expect(bin).toBe(officialHelmPath(linuxArm64, env));
    expect(readFileSync(bin).equals(readFileSync(await extractBundledHelm()))).toBe(true);
    expect((await withVersion(bin, 'downloaded')).version).toBe(PINNED_HELM.version);
    // Second use: from the cache, even offline.
    expect(await officialHelm(linuxArm64, { env: { ...env, HOMELAB_OFFLINE: '1' }, timeoutMs: 30_000, pin })).toBe(bin);
    expect(mirror.requests).toEqual([`/helm-${PINNED_HELM.version}-linux-arm64.tar.gz`]);
  });

  it('refuses an archive whose sha256 is not the pinned one, in one line, and keeps nothing', async () => {
    const env = envWith();
    const actual = createHash('sha256').update(archive).digest('hex');
    const url = `${mirror.url}/helm-${PINNED_HELM.version}-linux-arm64.tar.gz`;
    expect(await lineOf(resolveHelm(env, linuxArm64))).toBe(
      `${url} has sha256 ${actual}, not the pinned ${PINNED_HELM.archives['linux-arm64']} of helm-${PINNED_HELM.version}-linux-arm64.tar.gz: refused — ` +
        `the download is not the official archive (a proxy, a cut download, or a wrong ${HELM_MIRROR_ENV}); install helm ${PINNED_HELM.version} (https://helm.sh/docs/intro/install/) and put it on PATH, or set HELM_BIN to it`,
    );
    expect(() => readFileSync(officialHelmPath(linuxArm64, env))).toThrow(/ENOENT/);
  });

  it('says how to install helm, and which version, where nothing provides it', async () => {
    const install = `install helm ${PINNED_HELM.version} (https://helm.sh/docs/intro/install/) and put it on PATH, or set HELM_BIN to it`;
    expect(await lineOf(resolveHelm(envWith(), { platform: 'freebsd', arch: 'x64' }))).toBe(
      `no helm found: nothing on PATH, no HELM_BIN, and no official helm ${PINNED_HELM.version} build is known for freebsd-amd64 — ${install}`,
    );
    const offline = envWith({ HOMELAB_OFFLINE: '1' });
    expect(await lineOf(resolveHelm(offline, darwinArm64))).toBe(
      `no helm found: nothing on PATH, and helm ${PINNED_HELM.version} for darwin-arm64 is not in ${path.dirname(officialHelmPath(darwinArm64, offline))} (HOMELAB_OFFLINE is set) — ${install}`,
    );
    expect(await lineOf(resolveHelm(envWith(), darwinArm64))).toBe(
      `no helm found: nothing on PATH, and ${mirror.url}/helm-${PINNED_HELM.version}-darwin-arm64.tar.gz answered 404 Not Found — ${install}`,
    );
  });
});
