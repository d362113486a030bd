// Several CI runners sharing Nx's free self-hosted HTTP remote cache: a real Nx uploads to a loopback server speaking
// the documented API, a second clone gets every render/lint/template task from it, and no archive Nx uploaded holds a
// secret (every file in every tarball is listed and scanned, nested archives included).
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decryptFile } from '../../tools/homelab/src/core/secrets/index.ts';
import { createExampleRepo, nxEnv, type ExampleRepo } from '../affected/example-repo.ts';
import { startCacheServer, type CacheServer } from '../helpers/nx-cache-server.ts';

const TOKEN = 'ci-read-write-token';
const TARGETS = ['render', 'lint', 'template'];

/** Nx asynchronously: the cache server lives in this process and must keep answering while Nx runs. */
async function nx(repo: ExampleRepo, server: CacheServer, ...args: string[]): Promise<string> {
  const env = { ...nxEnv(), NX_SELF_HOSTED_REMOTE_CACHE_SERVER: server.url, NX_SELF_HOSTED_REMOTE_CACHE_ACCESS_TOKEN: TOKEN };
  const { stdout } = await promisify(execFile)(process.execPath, [path.join(repo.root, 'node_modules', 'nx', 'dist', 'bin', 'nx.js'), ...args], {
    cwd: repo.root,
    env,
    maxBuffer: 64 << 20,
  });
  return stdout;
}

interface TarEntry {
  name: string;
  data: Buffer;
}

/** Files of a (gzipped) tar archive: ustar headers, GNU long names; directories and links carry no data. */
function readTar(archive: Buffer): TarEntry[] {
  const tar = archive[0] === 0x1f && archive[1] === 0x8b ? gunzipSync(archive) : archive;
  const entries: TarEntry[] = [];
  let longName: string | undefined;
  for (let offset = 0; offset + 512 <= tar.length; ) {
    const header = tar.subarray(offset, offset + 512);
    if (header.every((b) => b === 0)) break;
    const field = (start: number, length: number) =>
      header
        .subarray(start, start + length)
        .toString('utf8')
        .replace(/\0.*$/s, '');
    const size = parseInt(field(124, 12).trim() || '0', 8);
    const type = field(156, 1) || '0';
    const data = tar.subarray(offset + 512, offset + 512 + size);
    const prefix = field(345, 155);
    const name = longName ?? (prefix ? `${prefix}/${field(0, 100)}` : field(0, 100));
    longName = undefined;
    if (type === 'L') longName = data.toString('utf8').replace(/\0.*$/s, '');
    else if (type === '0' || type === '\0') entries.push({ name, data: Buffer.from(data) });
    offset += 512 + Math.ceil(size / 512) * 512;
  }
  return entries;
}

/** Every file of an archive, descending into archives inside it (helm's dependency .tgz files). */
function allFiles(archive: Buffer, where: string): TarEntry[] {
  return readTar(archive).flatMap((entry) => {
    const name = `${where}:${entry.name}`;
    return /\.(tgz|tar\.gz|tar)$/.test(entry.name) ? [{ name, data: entry.data }, ...allFiles(entry.data, name)] : [{ name, data: entry.data }];
  });
}

/** Where a secret shows up in an archive's files: as is, or base64-encoded as in a Secret's `data`. */
function leaks(files: TarEntry[], secrets: string[]): string[] {
  const found: string[] = [];
  for (const file of files) {
    const text = file.data.toString('latin1');
    for (const secret of secrets) {
      if (file.name.includes(secret) || text.includes(secret) || text.includes(Buffer.from(secret).toString('base64'))) found.push(file.name);
    }
  }
  return found;
}

let server: CacheServer;
let first: ExampleRepo;
let second: ExampleRepo;
let secrets: string[];

beforeAll(async () => {
  server = await startCacheServer({ token: TOKEN });
  // Two runners checking out the same commit: each with its own empty local cache (.nx/cache in the checkout).
  first = createExampleRepo();
  second = createExampleRepo();
  const { leaves } = await decryptFile(path.join(first.root, 'secrets.yaml'), { workspaceRoot: first.root, env: {} });
  // Short leaves (a port, "true", "git") occur in any render by chance; every real secret here is longer.
  secrets = leaves.filter((leaf) => leaf.length >= 6);
});

afterAll(async () => {
  first?.dispose();
  second?.dispose();
  await server?.close();
});

describe('self-hosted remote cache', () => {
  let tasks: number;

  it('the first runner uploads every cacheable task it ran', async () => {
    const out = await nx(first, server, 'run-many', '-t', ...TARGETS, '--outputStyle=static');
    tasks = Number(/Cache:\s+0\/(\d+) hit/.exec(out)?.[1]);
    expect(tasks).toBeGreaterThan(12);
    expect(server.log.filter((r) => r.method === 'PUT' && r.status === 200)).toHaveLength(tasks);
    expect(server.entries.size).toBe(tasks);
  });

  it('a second clone gets every task from the remote cache, outputs included', async () => {
    const puts = server.log.filter((r) => r.method === 'PUT').length;
    const out = await nx(second, server, 'run-many', '-t', ...TARGETS, '--outputStyle=static');
    expect(out).toContain(`Cache:             ${tasks}/${tasks} hit (100%)`);
    expect(out).toMatch(/\[remote cache\]/);
    expect(server.log.filter((r) => r.method === 'PUT')).toHaveLength(puts);
    const file = 'dist/rendered/home/monitoring.yaml';
    expect(readFileSync(path.join(second.root, file), 'utf8')).toBe(readFileSync(path.join(first.root, file), 'utf8'));
  });

  it('answers 401 without the token and 403 to a read-only token writing', async () => {
    const readOnly = await startCacheServer({ token: TOKEN, readOnlyToken: 'read-only' });
    try {
      const put = (token?: string) =>
        fetch(`${readOnly.url}/v1/cache/123`, { method: 'PUT', body: 'x', headers: token ? { authorization: `Bearer ${token}` } : {} });
      expect((await put()).status).toBe(401);
      expect((await put('read-only')).status).toBe(403);
      expect((await put(TOKEN)).status).toBe(200);
      expect((await put(TOKEN)).status).toBe(409);
      expect(await (await fetch(`${readOnly.url}/v1/cache/123`, { headers: { authorization: 'Bearer read-only' } })).text()).toBe('x');
    } finally {
      await readOnly.close();
    }
  });

  it('no uploaded archive holds a secret: every file listed and scanned', () => {
    expect(secrets.length).toBeGreaterThan(5);
    const files = [...server.entries].flatMap(([hash, archive]) => allFiles(archive, hash));
    const names = files.map((f) => f.name.replace(/^\d+:/, ''));
    // What is in there: outputs (renders, dependency archives and their chart files), terminal output, exit code.
    expect(names).toContain('dist/rendered/home/monitoring.yaml');
    expect(names).toContain('charts/monitoring/charts/common-0.1.0.tgz');
    expect(names.filter((n) => n === 'terminalOutput')).toHaveLength(server.entries.size);
    expect(names.some((n) => n.endsWith('common/templates/_secret.tpl'))).toBe(true);
    // template's terminal output is the masked render: markers where the secrets were.
    expect(files.some((f) => f.name.endsWith(':terminalOutput') && /REDACTED[0-9a-f]{8}/.test(f.data.toString()))).toBe(true);
    expect(leaks(files, secrets)).toEqual([]);
  });

  it('the scan does find a secret when one is there', () => {
    const archive = [...server.entries.values()].find((a) => readTar(a).some((e) => e.name === 'dist/rendered/home/monitoring.yaml'))!;
    const files = allFiles(archive, 'render');
    const planted = files.map((f) =>
      f.name === 'render:dist/rendered/home/monitoring.yaml' ? { ...f, data: Buffer.concat([f.data, Buffer.from(`password: ${secrets[0]}\n`)]) } : f,
    );
    expect(leaks(planted, secrets)).toEqual(['render:dist/rendered/home/monitoring.yaml']);
  });
});
