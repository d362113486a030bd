// A small Nx remote cache server on loopback implementing Nx's documented self-hosted cache API (Nx >= 20.8,
// https://nx.dev/docs/kb/self-hosted-caching): GET/PUT /v1/cache/{hash}, tar archives as binary bodies, bearer token
// auth. Entries live in memory so a test can list and scan exactly what Nx uploaded.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface CacheServer {
  url: string;
  /** hash → the archive Nx uploaded. */
  entries: Map<string, Buffer>;
  /** Every request, in order: method, hash and the status answered. */
  log: { method: string; hash: string; status: number }[];
  close(): Promise<void>;
}

export interface CacheServerOptions {
  /** Token allowed to read and write. */
  token: string;
  /** Token allowed to read only (a PUT with it is answered 403). */
  readOnlyToken?: string;
}

export async function startCacheServer(options: CacheServerOptions): Promise<CacheServer> {
  const entries = new Map<string, Buffer>();
  const log: CacheServer['log'] = [];

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<number> => {
    const match = /^\/v1\/cache\/([^/?]+)$/.exec(req.url ?? '');
    if (!match) return 404;
    const hash = decodeURIComponent(match[1]);
    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    const canRead = token === options.token || (options.readOnlyToken !== undefined && token === options.readOnlyToken);
    if (!canRead) return 401;
    if (req.method === 'GET') {
      const entry = entries.get(hash);
      if (!entry) return 404;
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': entry.length });
      res.end(entry);
      return 200;
    }
    if (req.method === 'PUT') {
      if (token !== options.token) return 403;
      if (req.headers['content-length'] === undefined) return 400;
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      // The spec: an existing record is never overwritten.
      if (entries.has(hash)) return 409;
      entries.set(hash, Buffer.concat(chunks));
      return 200;
    }
    return 405;
  };

  const server = createServer((req, res) => {
    handle(req, res).then(
      (status) => {
        log.push({ method: req.method ?? '', hash: req.url?.split('/').at(-1) ?? '', status });
        if (!res.headersSent) res.writeHead(status).end();
      },
      (err: unknown) => {
        log.push({ method: req.method ?? '', hash: '', status: 500 });
        res.writeHead(500).end(String(err));
      },
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    entries,
    log,
    close: () => new Promise((resolve, reject) => server.close((err) => (err ? reject(err) : resolve()))),
  };
}
