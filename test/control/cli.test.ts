// `broken-mta serve --control`, run as a test harness in another language runs it: the
// port map names the control URL, listeners come and go over HTTP, the text log names
// port and scenario on every line, and stdin's end stops it all.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { describe, expect, it } from 'vitest';
import { rawConnect, readUntil, run, sendWithNodemailer } from '../support/clients.js';
import { tempDir } from '../support/temp.js';
import { parseControlAddress } from '../../src/serving.js';
import { call } from './support.js';

const CLI = join(import.meta.dirname, '..', '..', 'dist', 'cli.js');

function serve(args: string[]) {
  const child = spawn('node', [CLI, 'serve', ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const next = async (timeoutMs = 5000) => {
    const timer = new Promise<never>((_, reject) => setTimeout(() => reject(new Error('no line in time')), timeoutMs));
    return (await Promise.race([lines.next(), timer])).value as string;
  };
  return { child, next, exited };
}

describe('serve --control', () => {
  it('alone: prints the control URL, starts listeners over HTTP, logs port and scenario on each line, stops when stdin ends', async () => {
    const portsFile = join(tempDir('control-cli'), 'ports.json');
    const { child, next, exited } = serve(['--control', '0', '--ports-file', portsFile, '--exit-on-stdin-close']);
    try {
      const map = JSON.parse(await next());
      expect(map).toEqual({ host: '127.0.0.1', ports: {}, control: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/) });
      expect(JSON.parse(readFileSync(portsFile, 'utf8'))).toEqual(map);
      const port = (await call(map.control, 'POST', '/listeners', { body: { scenario: 'greylist' } })).json.port;
      const refused = await sendWithNodemailer({ port });
      expect(refused.error?.message).toContain('450 4.2.0 Greylisted');
      const seen: string[] = [];
      while (!seen.some((line) => line.includes('closed by'))) seen.push(await next());
      for (const line of seen) expect(line).toMatch(new RegExp(`^\\d\\d:\\d\\d:\\d\\d\\.\\d{3} :${port} greylist#1 `));
      child.stdin.end();
      expect(await exited).toBe(0);
      await expect(rawConnect(port)).rejects.toThrow(/ECONNREFUSED/);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('with --scenarios: those listeners are the API\'s too, and --json events carry id and port', async () => {
    const { child, next } = serve(['--scenarios', 'good,greylist', '--base-port', '0', '--control', '127.0.0.1:0', '--json']);
    try {
      const map = JSON.parse(await next());
      const listeners = (await call(map.control, 'GET', '/listeners')).json.listeners;
      expect(listeners.map((l: { scenario: string; port: number }) => [l.scenario, l.port])).toEqual([
        ['good', map.ports.good],
        ['greylist', map.ports.greylist],
      ]);
      await call(map.control, 'PUT', `/listeners/${map.ports.good}`, { body: { scenario: 'mailbox-full-452' } });
      const socket = await rawConnect(map.ports.good);
      await readUntil(socket, /^220 /m);
      socket.destroy();
      const event = JSON.parse(await next());
      expect(event).toMatchObject({ id: 1, port: map.ports.good, scenario: 'mailbox-full-452', session: 1, type: 'connect' });
    } finally {
      child.kill('SIGTERM');
    }
  });

  it('with --control-token: requests without it get 401', async () => {
    const { child, next } = serve(['--control', '0', '--control-token', 'let-me-in']);
    try {
      const { control } = JSON.parse(await next());
      expect((await call(control, 'GET', '/listeners')).status).toBe(401);
      expect((await call(control, 'GET', '/listeners', { headers: { authorization: 'Bearer let-me-in' } })).status).toBe(200);
    } finally {
      child.kill('SIGTERM');
    }
  });

  it('refuses a control port beyond loopback without a token, and a malformed address, with one line and exit 2', async () => {
    const open = await run('node', [CLI, 'serve', '--control', '0.0.0.0:0']);
    expect(open.code).toBe(2);
    expect(open.stderr).toBe('broken-mta: --control 0.0.0.0:0: a control port beyond loopback needs --control-token TOKEN (clients send Authorization: Bearer TOKEN)\n');
    const malformed = await run('node', [CLI, 'serve', '--control', 'example.com:80']);
    expect(malformed.code).toBe(2);
    expect(malformed.stderr).toMatch(/^broken-mta: --control example\.com:80: give \[HOST:\]PORT/);
    expect(malformed.stderr.split('\n')).toHaveLength(2);
  });

  it('reads [HOST:]PORT: the flag alone is 127.0.0.1:8025, a port alone is on loopback, IPv6 in brackets', () => {
    expect(parseControlAddress(true)).toEqual({ host: '127.0.0.1', port: 8025 });
    expect(parseControlAddress('9000')).toEqual({ host: '127.0.0.1', port: 9000 });
    expect(parseControlAddress('0.0.0.0:8025')).toEqual({ host: '0.0.0.0', port: 8025 });
    expect(parseControlAddress('[::1]:0')).toEqual({ host: '::1', port: 0 });
    for (const bad of ['', '70000', 'localhost:', ':80', 'mx.example:25', '[::1]', '1.2.3.4:5:6']) expect(() => parseControlAddress(bad), bad).toThrow(/give \[HOST:\]PORT/);
  });

  it('listens on IPv6 loopback, and answers its bracketed Host', async () => {
    const { child, next } = serve(['--control', '[::1]:0']);
    try {
      const { control } = JSON.parse(await next());
      expect(control).toMatch(/^http:\/\/\[::1\]:\d+$/);
      expect((await call(control, 'GET', '/healthz')).json).toEqual({ status: 'ok', listeners: 0, lastEvent: 0 });
    } finally {
      child.kill('SIGTERM');
    }
  });

  it('--help explains --control and --control-token', async () => {
    const help = await run('node', [CLI, 'serve', '--help']);
    expect(help.stdout).toMatch(/--control \[address\]\s+also serve the control API/);
    expect(help.stdout).toMatch(/--control-token <token>\s+require Authorization: Bearer TOKEN/);
  });
});
