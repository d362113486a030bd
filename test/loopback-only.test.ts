/**
 * test/support/loopback-only.ts (a setup file of every test file): nothing a test runs can reach a host other
 * than loopback, in this process or in the tools it starts.
 */
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { childEnv } from './support/workspace.ts';

function connectError(options: net.NetConnectOpts): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect(options);
    socket.on('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.on('error', (err) => resolve(err.message));
  });
}

describe('tests reach loopback only', () => {
  it('this process: another host is refused before any lookup, loopback still connects', async () => {
    expect(await connectError({ host: '192.0.2.1', port: 80 })).toBe(
      'tests reach loopback only: connection to 192.0.2.1 refused (test/support/loopback-only.ts)',
    );
    const viaHttp = await new Promise<string>((resolve) =>
      http.get('http://home.example.invalid:6443/version', () => resolve('answered')).on('error', (e) => resolve(e.message)),
    );
    expect(viaHttp).toBe('tests reach loopback only: connection to home.example.invalid refused (test/support/loopback-only.ts)');
    const server = net.createServer((s) => s.end());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    expect(await connectError({ host: '127.0.0.1', port: (server.address() as AddressInfo).port })).toBe('connected');
    server.close();
  });

  it('child processes: kubectl is sent to a loopback proxy that refuses it', async () => {
    const result = await execa(
      'kubectl',
      [
        '--server',
        'https://home.example.invalid:6443',
        '--insecure-skip-tls-verify',
        '--token',
        'none',
        'get',
        '--raw',
        '/version',
        '--request-timeout',
        '60s',
      ],
      {
        env: childEnv({ KUBECONFIG: '/dev/null' }),
        reject: false,
        stdin: 'ignore',
      },
    );
    expect(result.exitCode).not.toBe(0);
    // It went to the proxy (a loopback listener of the setup file), not to a resolver or the named host.
    expect(new URL(process.env.HTTPS_PROXY!).hostname).toBe('127.0.0.1');
    expect(result.stderr).toContain('tests reach loopback only');
  });
});
