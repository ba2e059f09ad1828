// The command line as a user runs it: the built binary, real signals, real ports.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';
import { catalogueNames } from '../src/scenario/load.js';
import { rawConnect, readUntil, run } from './support/clients.js';

const CLI = join(import.meta.dirname, '..', 'dist', 'cli.js');
const cli = (...args: string[]) => run('node', [CLI, ...args]);

let child: ChildProcessWithoutNullStreams | undefined;
afterEach(() => {
  child?.kill('SIGKILL');
  child = undefined;
});

/** Starts the server and resolves with its first stdout line and a line reader. */
function startCli(...args: string[]): Promise<{ first: string; lines: AsyncIterableIterator<string> }> {
  child = spawn('node', [CLI, ...args]);
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  return Promise.race([
    lines.next().then(({ value }) => ({ first: value as string, lines })),
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error('no first line within 10 s')), 10_000)),
  ]);
}

async function nextMatching(lines: AsyncIterableIterator<string>, pattern: RegExp): Promise<string> {
  for (;;) {
    const { value, done } = await lines.next();
    if (done) throw new Error(`output ended before ${pattern}`);
    if (pattern.test(value)) return value;
  }
}

describe('broken-mta list and show', () => {
  it('list prints every catalogue scenario, one a line', async () => {
    const result = await cli('list');
    expect(result.code).toBe(0);
    const names = result.stdout.trim().split('\n').map((line) => line.split(/\s+/)[0]);
    expect(names).toEqual(catalogueNames());
  });

  it('show prints the whole page', async () => {
    const result = await cli('show', 'groupwise-450');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Imitates: Novell GroupWise 6.0.1');
    expect(result.stdout).toContain('Symptoms:');
    expect(result.stdout).toContain('Fixes:');
    expect(result.stdout).toContain('450 TLS negotation failure');
  });

  it('--help explains the options and the commands', async () => {
    const result = await cli('--help');
    expect(result.code).toBe(0);
    for (const word of ['--scenario', '--port', '--host', '--json', 'list', 'show', 'certs']) expect(result.stdout).toContain(word);
  });
});

describe('bad input: one clear line and a non-zero exit', () => {
  it('an unknown scenario', async () => {
    const result = await cli('--scenario', 'no-such-thing', '--port', '0');
    expect(result.code).toBe(2);
    expect(result.stderr.trim().split('\n')).toEqual(['broken-mta: unknown scenario "no-such-thing": `broken-mta list` shows the catalogue, or give a path to a .yaml file']);
  });

  it('a malformed scenario file names file, line and field', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'broken-mta-cli-')), 'bad.yaml');
    writeFileSync(file, 'name: bad\nsummary: s\nimitates: i\nsymptoms: [{ client: openssl, text: t }]\nfixes: [f]\nsmtp:\n  greting: "220 hi"\n');
    const result = await cli('--scenario', file, '--port', '0');
    expect(result.code).toBe(2);
    expect(result.stderr.trim()).toBe(`broken-mta: ${file}:7: smtp.greting: unknown key "greting"`);
  });

  it('a port in use', async () => {
    const busy: Server = createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    const port = (busy.address() as { port: number }).port;
    try {
      const result = await cli('--scenario', 'good', '--port', String(port));
      expect(result.code).toBe(1);
      expect(result.stderr.trim()).toBe(`broken-mta: port ${port} on 127.0.0.1 is in use: choose another with --port (0 takes a free one)`);
    } finally {
      busy.close();
    }
  });

  it('a bad host', async () => {
    const result = await cli('--scenario', 'good', '--host', 'not a host', '--port', '0');
    expect(result.code).toBe(2);
    expect(result.stderr.trim()).toMatch(/^broken-mta: --host not a host: give an IP address/);
  });

  it('a bad port', async () => {
    const result = await cli('--scenario', 'good', '--port', '70000');
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('a port is a whole number from 0 to 65535');
  });

  it('no scenario at all', async () => {
    const result = await cli();
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('no scenario given');
  });
});

describe('serving', () => {
  it('--port 0 prints the port it got first; SIGTERM closes an open session within 1 s', async () => {
    const { first, lines } = await startCli('--scenario', 'good', '--port', '0');
    const match = /^listening on 127\.0\.0\.1:(\d+) scenario=good$/.exec(first);
    expect(match).not.toBeNull();
    const socket = await rawConnect(Number(match![1]));
    await readUntil(socket, /^220 /m);
    await nextMatching(lines, /S: 220 /);
    const exited = new Promise<number | null>((resolve) => child!.once('exit', resolve));
    const started = Date.now();
    child!.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(Date.now() - started).toBeLessThan(1000);
    socket.destroy();
  });

  it('--json prints the listening line and every event as JSON', async () => {
    const { first, lines } = await startCli('--scenario', 'groupwise-450', '--port', '0', '--json');
    const listening = JSON.parse(first);
    expect(listening).toMatchObject({ type: 'listening', host: '127.0.0.1', scenario: 'groupwise-450' });
    const socket = await rawConnect(listening.port);
    await readUntil(socket, /^220 /m);
    socket.write('EHLO client.example.test\r\nSTARTTLS\r\n');
    await readUntil(socket, /^450 TLS negotation failure/m);
    const fault = JSON.parse(await nextMatching(lines, /"type":"fault"/));
    expect(fault).toMatchObject({ type: 'fault', fault: 'reply', step: 'STARTTLS', scenario: 'groupwise-450', session: 1 });
    socket.destroy();
  });

  it('warns on a bind beyond loopback', async () => {
    child = spawn('node', [CLI, '--scenario', 'good', '--port', '0', '--host', '0.0.0.0']);
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    await new Promise((resolve) => child!.stdout.once('data', resolve));
    expect(stderr).toContain('warning: listening on 0.0.0.0');
  });
});

describe('broken-mta certs', () => {
  it('prints the test CA path; a warm cache generates nothing', async () => {
    const result = await cli('certs');
    expect(result.code).toBe(0);
    expect(result.stdout.trim()).toMatch(/test-ca\.pem$/);
    expect(result.stderr).not.toContain('generated');
    expect(result.stderr).toMatch(/profiles ready in \d+ ms/);
  });
});
