// The command line as a user runs it: the built binary, real signals, real ports.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';
import { startScenario } from '../src/index.js';
import { catalogueNames } from '../src/scenario/load.js';
import { rawConnect, readUntil, run } from './support/clients.js';
import { tempDir } from './support/temp.js';

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

  it('show prints the whole page: each claim with the command that shows it', async () => {
    const result = await cli('show', 'groupwise-450');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Imitates: Novell GroupWise 6.0.1');
    expect(result.stdout).toContain('Symptoms (with `broken-mta --scenario groupwise-450` running, each command shows its line):');
    expect(result.stdout).toContain('Fixes:');
    expect(result.stdout).toContain('  5. swaks: prints "<** 450 TLS negotation failure", prints "*** STARTTLS attempted but failed", exit 29, not delivered');
    expect(result.stdout).toContain('     $ swaks --server 127.0.0.1:2525 --from sender@client.example.test --to rcpt@mx.broken-mta.test --tls-optional-strict --tls-verify --tls-ca-path ');
    expect(result.stdout).toContain('     note: opportunisticTLS: true goes on unencrypted.');
  });

  it("show's commands are ready to paste: run as printed against the scenario, they print what the page claims", async () => {
    const mta = await startScenario('weak-dh');
    try {
      const page = await cli('--port', String(mta.port), 'show', 'weak-dh');
      expect(page.stdout).toContain(`(with \`broken-mta --scenario weak-dh --port ${mta.port}\` running`);
      const commands = [...page.stdout.matchAll(/^ {5}\$ (.*)$/gm)].map((match) => match[1]!);
      const openssl = commands.find((line) => line.startsWith('openssl '))!;
      expect((await run('sh', ['-c', openssl])).output).toContain('error:0A00018A:SSL routines:tls_process_ske_dhe:dh key too small');
      const nodemailer = commands.find((line) => line.startsWith('node '))!;
      expect((await run('sh', ['-c', nodemailer])).output).toContain('tls_process_ske_dhe:dh key too small');
      const gnutls = commands.find((line) => line.includes('--dh-bits=512'))!;
      expect((await run('sh', ['-c', gnutls])).output).toContain('- Handshake was completed');
    } finally {
      await mta.close();
    }
  });

  it("show fills in the client certificate that `certs --client` makes", async () => {
    const paths = (await cli('certs', '--client')).stdout.trim().split('\n');
    const page = await cli('show', 'client-cert-required');
    expect(paths).toHaveLength(2);
    for (const path of paths) expect(page.stdout).toContain(path);
  });

  it('--help explains the options and the commands', async () => {
    const result = await cli('--help');
    expect(result.code).toBe(0);
    for (const word of ['--scenario', '--port', '--host', '--json', 'list', 'show', 'certs']) expect(result.stdout).toContain(word);
    for (const flag of ['--max-line-length <bytes>', '--max-recipients <n>', '--max-connections-per-client <n>', '--max-session-time <ms>', '--tls-handshake-timeout <ms>']) {
      expect(result.stdout).toContain(flag);
    }
  });
});

describe('bad input: one clear line and a non-zero exit', () => {
  it('an unknown scenario', async () => {
    const result = await cli('--scenario', 'no-such-thing', '--port', '0');
    expect(result.code).toBe(2);
    expect(result.stderr.trim().split('\n')).toEqual(['broken-mta: unknown scenario "no-such-thing": `broken-mta list` shows the catalogue, or give a path to a .yaml file']);
  });

  it('a malformed scenario file names file, line and field', async () => {
    const file = join(tempDir('cli'), 'bad.yaml');
    writeFileSync(file, 'name: bad\nsummary: s\nimitates: i\nsymptoms: [{ client: openssl, prints: t }]\nfixes: [f]\nsmtp:\n  greting: "220 hi"\n');
    const result = await cli('--scenario', file, '--port', '0');
    expect(result.code).toBe(2);
    expect(result.stderr.trim()).toBe(`broken-mta: ${file}:7: smtp.greting: unknown key "greting" (did you mean "greeting"?)`);
  });

  it('a scenario file with several problems: all of them, one a line, in the order of the file', async () => {
    const file = join(tempDir('cli'), 'bad.yaml');
    writeFileSync(file, 'smtp:\n  greting: "220 hi"\ntls:\n  cert: expird\nfaults:\n  - { fault: rely, on: RCPT }\n');
    const result = await cli('--scenario', file, '--port', '0');
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr.trimEnd().split('\n')).toEqual([
      `broken-mta: ${file}:2: smtp.greting: unknown key "greting" (did you mean "greeting"?)`,
      expect.stringMatching(new RegExp(`^broken-mta: ${file}:4: tls\\.cert: must be one of "valid", .* \\(did you mean "expired"\\?\\)$`)),
      expect.stringMatching(new RegExp(`^broken-mta: ${file}:6: faults\\.0\\.fault: unknown fault \\(did you mean "reply"\\?\\) \\(known: reply, `)),
    ]);
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

  it('a limit that is not a whole number of 1 or more', async () => {
    const result = await cli('--scenario', 'good', '--port', '0', '--max-line-length', '0');
    expect(result.code).toBe(2);
    expect(result.stderr.trim()).toBe("error: option '--max-line-length <bytes>' argument '0' is invalid. a whole number, 1 or more");
  });

  it('no scenario at all', async () => {
    const result = await cli();
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('no scenario given');
  });
});

describe('usage errors: one line, exit 2, and a "did you mean" for a typo', () => {
  const oneLine = async (args: string[], line: string | RegExp) => {
    const result = await cli(...args);
    expect(result.code, result.stderr).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(result.stderr.trimEnd()).toMatch(line);
  };

  it('commander\'s own: a command without its argument, matrix with nothing after --, an unknown option', async () => {
    await oneLine(['show'], "error: missing required argument 'name|file'");
    await oneLine(['explain'], "error: missing required argument 'log line'");
    await oneLine(['matrix', '--'], "error: missing required argument 'command'");
    await oneLine(['serve', '--al'], "error: unknown option '--al' (did you mean --all?)");
  });

  it('an unknown command, a misspelt one, and a scenario named without --scenario', async () => {
    await oneLine(['frobnicate'], /^broken-mta: unknown command "frobnicate": the commands are list, show, explain, serve, matrix, certs/);
    await oneLine(['lsit'], /^broken-mta: unknown command "lsit" \(did you mean "list"\?\)/);
    await oneLine(['weak-dh'], 'broken-mta: "weak-dh" is a scenario: serve it with --scenario weak-dh');
  });

  it('a misspelt scenario name, to show or to serve', async () => {
    await oneLine(['show', 'weak_dh'], /^broken-mta: unknown scenario "weak_dh" \(did you mean "weak-dh"\?\)/);
    await oneLine(['--scenario', 'expird-cert', '--port', '0'], /^broken-mta: unknown scenario "expird-cert" \(did you mean "expired-cert"\?\)/);
    await oneLine(['serve', '--scenarios', 'good,greylst', '--base-port', '0'], /^broken-mta: unknown scenario "greylst" \(did you mean "greylist"\?\)/);
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

  it('SIGTERM lets a message under way finish and reach --store; an idle session gets 421 at once; exit 0 within 2 s', async () => {
    const store = tempDir('shutdown');
    const { first } = await startCli('--scenario', 'good', '--port', '0', '--store', store);
    const port = Number(/:(\d+) /.exec(first)![1]);
    const idle = await rawConnect(port);
    await readUntil(idle, /^220 /m);
    const sending = await rawConnect(port);
    await readUntil(sending, /^220 /m);
    sending.write('EHLO client.example.test\r\nMAIL FROM:<a@client.example.test>\r\nRCPT TO:<b@mx.broken-mta.test>\r\nDATA\r\n');
    await readUntil(sending, /^354 /m);
    sending.write('Subject: in flight\r\n\r\nfirst half\r\n');
    const exited = new Promise<number | null>((resolve) => child!.once('exit', resolve));
    const started = Date.now();
    child!.kill('SIGTERM');
    // The idle session is told at once; the one sending goes on.
    expect(await readUntil(idle, /^421 /m)).toMatch(/421 4\.3\.2 Service shutting down/);
    expect(Date.now() - started).toBeLessThan(400);
    // Longer than smtp-server's own grace period was (500 ms), well inside ours (1.5 s).
    await new Promise((resolve) => setTimeout(resolve, 800));
    sending.write('second half\r\n.\r\n');
    const after = await readUntil(sending, /^421 /m);
    expect(after).toMatch(/^250 .*\r\n421 4\.3\.2 Service shutting down/m);
    expect(await exited).toBe(0);
    expect(Date.now() - started).toBeLessThan(2000);
    const stored = readFileSync(join(store, 'messages.jsonl'), 'utf8').trim().split('\n');
    expect(stored).toHaveLength(1);
    const eml = readFileSync(join(store, JSON.parse(stored[0]!).file), 'utf8');
    expect(eml).toContain('second half');
    idle.destroy();
    sending.destroy();
  });

  it('a message still under way when the 1.5 s of grace end is cut off with 421 4.3.2, as idle sessions are', async () => {
    const { first } = await startCli('--scenario', 'good', '--port', '0');
    const sending = await rawConnect(Number(/:(\d+) /.exec(first)![1]));
    await readUntil(sending, /^220 /m);
    sending.write('EHLO client.example.test\r\nMAIL FROM:<a@client.example.test>\r\nRCPT TO:<b@mx.broken-mta.test>\r\nDATA\r\n');
    await readUntil(sending, /^354 /m);
    sending.write('Subject: never finished\r\n\r\n');
    const exited = new Promise<number | null>((resolve) => child!.once('exit', resolve));
    child!.kill('SIGTERM');
    expect(await readUntil(sending, /^421 .*\r\n/m, 3000)).toMatch(/^421 4\.3\.2 Service shutting down, try again later\r\n/m);
    expect(await exited).toBe(0);
    sending.destroy();
  });

  it('--exit-on-stdin-close: the server stops, exit 0, once the program that started it closes its stdin', async () => {
    const { first } = await startCli('--scenario', 'good', '--port', '0', '--exit-on-stdin-close');
    const port = Number(/:(\d+) /.exec(first)![1]);
    const idle = await rawConnect(port);
    await readUntil(idle, /^220 /m);
    const exited = new Promise<number | null>((resolve) => child!.once('exit', resolve));
    let stderr = '';
    child!.stderr.on('data', (chunk) => (stderr += chunk));
    child!.stdin.end();
    expect(await readUntil(idle, /^421 /m)).toMatch(/421 4\.3\.2 Service shutting down/);
    expect(await exited).toBe(0);
    expect(stderr).toContain('stdin closed: closing sessions');
    idle.destroy();
  });

  it('without --exit-on-stdin-close, a closed stdin changes nothing', async () => {
    const { first } = await startCli('--scenario', 'good', '--port', '0');
    child!.stdin.end();
    await new Promise((resolve) => setTimeout(resolve, 300));
    const socket = await rawConnect(Number(/:(\d+) /.exec(first)![1]));
    expect(await readUntil(socket, /^220 /m)).toMatch(/^220 /);
    expect(child!.exitCode).toBeNull();
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

  it('the limit flags reach the server: each limit answers and shows in the events', async () => {
    const { first, lines } = await startCli(
      '--scenario', 'good', '--port', '0', '--json',
      '--max-line-length', '50', '--max-recipients', '1', '--max-connections-per-client', '1',
      '--max-session-time', '800', '--tls-handshake-timeout', '200',
    );
    const { port } = JSON.parse(first);
    const limit = async (name: string) => JSON.parse(await nextMatching(lines, new RegExp(`"type":"limit","limit":"${name}"`)));

    const one = await rawConnect(port);
    await readUntil(one, /^220 /m);
    one.write(`EHLO client.example.test\r\nNOOP ${'x'.repeat(60)}\r\n`);
    await readUntil(one, /^500 5\.5\.2 Line too long\r\n/m);
    expect(await limit('maxLineBytes')).toMatchObject({ value: 50 });
    one.write('MAIL FROM:<a@example.test>\r\nRCPT TO:<b@example.test>\r\nRCPT TO:<c@example.test>\r\n');
    await readUntil(one, /^452 4\.5\.3 Too many recipients\r\n/m);
    expect(await limit('maxRecipients')).toMatchObject({ value: 1 });

    const two = await rawConnect(port);
    expect(await readUntil(two, /^421 .*\r\n/m)).toBe('421 4.7.0 Too many connections from your address\r\n');
    expect(await limit('maxConnectionsPerClient')).toMatchObject({ value: 1, session: 2 });

    await readUntil(one, /^421 4\.4\.2 Session time limit reached\r\n/m, 2000);
    expect(await limit('maxSessionMs')).toMatchObject({ value: 800, session: 1 });
    await nextMatching(lines, /"session":1,"type":"close"/);

    const three = await rawConnect(port);
    await readUntil(three, /^220 /m);
    three.write('EHLO client.example.test\r\nSTARTTLS\r\n');
    await readUntil(three, /^220 .*TLS/m);
    expect(JSON.parse(await nextMatching(lines, /"type":"tls-failed"/))).toMatchObject({ session: 3, error: 'the TLS handshake timed out: not finished 200 ms after it began' });
    for (const socket of [one, two, three]) socket.destroy();
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
    // Only the path, for `$(broken-mta certs)`: no progress when there is nothing to make.
    expect(result.stdout).toBe(`${join(process.env.BROKEN_MTA_CERTS!, 'test-ca.pem')}\n`);
    expect(result.stderr).toBe('');
  });
});
