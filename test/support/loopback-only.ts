// Vitest setup file: tests reach loopback only. In the test process a connection to any other host is refused
// before a DNS lookup; child processes (helm, kubectl, nx, git) get HTTP(S)_PROXY pointing at a loopback listener
// that refuses every request, so whatever they try to fetch fails at once instead of leaving the machine.
import net from 'node:net';

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost', '::ffff:127.0.0.1']);

/** Unix sockets (no host) and loopback addresses only. */
export function isLoopback(host: string | undefined): boolean {
  return host === undefined || LOOPBACK.has(host.replace(/^\[|\]$/g, '').toLowerCase()) || /^127\./.test(host);
}

const installed = Symbol.for('homelab.test.loopbackOnly');
const state = process as unknown as Record<symbol, boolean>;

if (!state[installed]) {
  state[installed] = true;
  const connect = net.Socket.prototype.connect as (...args: unknown[]) => net.Socket;
  net.Socket.prototype.connect = function (this: net.Socket, ...args: unknown[]) {
    const [first] = args;
    const options = (Array.isArray(first) ? first[0] : first) as { host?: string; path?: string; port?: number } | number | string;
    // connect(port, host?) / connect(path) / connect(options)
    const host =
      typeof options === 'number'
        ? typeof args[1] === 'string'
          ? args[1]
          : 'localhost'
        : typeof options === 'string'
          ? undefined
          : options.path
            ? undefined
            : (options.host ?? 'localhost');
    if (!isLoopback(host)) {
      const error = Object.assign(new Error(`tests reach loopback only: connection to ${host} refused (test/support/loopback-only.ts)`), {
        code: 'ECONNREFUSED',
      });
      process.nextTick(() => this.destroy(error));
      return this;
    }
    return connect.apply(this, args);
  } as typeof net.Socket.prototype.connect;

  // A real cluster for the end-to-end suite may live on the LAN: only then children are not sent to the dead proxy.
  if (!process.env.E2E_KUBECONFIG) {
    // Answers every request (CONNECT or plain) with a refusal naming itself: the tools fail with this line.
    const sink = net.createServer((socket) => {
      socket.on('error', () => {});
      socket.once('data', () => socket.end('HTTP/1.1 403 tests reach loopback only\r\nContent-Length: 0\r\nConnection: close\r\n\r\n'));
    });
    sink.listen(0, '127.0.0.1');
    sink.unref();
    await new Promise<void>((resolve) => sink.once('listening', resolve));
    const proxy = `http://127.0.0.1:${(sink.address() as net.AddressInfo).port}`;
    for (const name of ['HTTP_PROXY', 'HTTPS_PROXY', 'http_proxy', 'https_proxy', 'ALL_PROXY', 'all_proxy']) process.env[name] = proxy;
    for (const name of ['NO_PROXY', 'no_proxy']) process.env[name] = '127.0.0.1,localhost,::1';
  }
}
