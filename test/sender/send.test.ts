// `broken-mta send` as a user runs it (the built binary), and startSender() from a test
// suite: against broken-mta's own server scenarios (real code on both ends, no sendmail
// needed), and against receivers that cannot be talked to at all.
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SendError, startScenario, startSender, type RunningScenario } from '../../src/index.js';
import { ScenarioError } from '../../src/scenario/load.js';
import { run } from '../support/clients.js';
import { codeBlocks } from '../support/readme.js';

const CLI = join(import.meta.dirname, '..', '..', 'dist', 'cli.js');
const send = (...args: string[]) => run('node', [CLI, 'send', ...args], { timeoutMs: 20_000 });

let mta: RunningScenario | undefined;
let server: Server | undefined;
const sockets = new Set<Socket>();
afterEach(async () => {
  await mta?.close();
  mta = undefined;
  for (const socket of sockets) socket.destroy();
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  server = undefined;
});

/** A TCP server that does `onConnection` to each client; resolves with its port. */
async function fakeReceiver(onConnection: (socket: Socket) => void): Promise<number> {
  server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    onConnection(socket);
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return (server.address() as { port: number }).port;
}

/** One line on stderr, nothing on stdout, exit 1, within the time the timeout allows. */
async function expectOneLine(args: string[], line: RegExp, withinMs: number): Promise<void> {
  const started = Date.now();
  const result = await send(...args);
  expect(Date.now() - started).toBeLessThan(withinMs);
  expect(result.signal).toBeNull();
  expect(result.code, result.output).toBe(1);
  expect(result.stdout).toBe('');
  expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
  expect(result.stderr.trimEnd()).toMatch(line);
}

describe('broken-mta send against a receiver it cannot talk to: one line, exit 1, within its timeout', () => {
  it('nothing listens (an unreachable receiver)', async () => {
    const port = await fakeReceiver(() => undefined);
    await new Promise((resolve) => server!.close(resolve));
    server = undefined;
    await expectOneLine(['--scenario', 'sender-pregreet', '--to', `127.0.0.1:${port}`, '--timeout', '1000'], new RegExp(`^broken-mta: cannot connect to 127\\.0\\.0\\.1:${port}: ECONNREFUSED$`), 5000);
  });

  it('a receiver that never greets', async () => {
    const port = await fakeReceiver(() => undefined);
    await expectOneLine(['--scenario', 'sender-starttls-abort', '--to', `127.0.0.1:${port}`, '--timeout', '1000'], new RegExp(`^broken-mta: 127\\.0\\.0\\.1:${port} sent no greeting within 1000 ms$`), 5000);
  });

  it('a banner of 8 MB without a line end', async () => {
    const port = await fakeReceiver((socket) => socket.write(Buffer.alloc(8 * 1024 * 1024, 'A')));
    await expectOneLine(
      ['--scenario', 'sender-starttls-abort', '--to', `127.0.0.1:${port}`, '--timeout', '5000'],
      /^broken-mta: 127\.0\.0\.1:\d+ does not speak SMTP: a line of over 4096 bytes without a newline \("AAAA/,
      8000,
    );
  });

  it('a banner that never ends (220- lines, one after another)', async () => {
    const port = await fakeReceiver((socket) => socket.write('220-welcome\r\n'.repeat(10_000)));
    await expectOneLine(['--scenario', 'sender-starttls-abort', '--to', `127.0.0.1:${port}`, '--timeout', '5000'], /^broken-mta: 127\.0\.0\.1:\d+ does not speak SMTP: a reply of over 200 lines$/, 8000);
  });

  it('an HTTP server', async () => {
    const port = await fakeReceiver((socket) => socket.end('HTTP/1.1 400 Bad Request\r\n\r\n'));
    await expectOneLine(['--scenario', 'sender-pregreet', '--to', `127.0.0.1:${port}`], /^broken-mta: 127\.0\.0\.1:\d+ does not speak SMTP: a line that is not an SMTP reply: "HTTP\/1\.1 400 Bad Request"$/, 8000);
  });
});

describe('broken-mta send: bad input exits 2 with one line', () => {
  it.each([
    [['--scenario', 'sender-nope', '--to', '127.0.0.1:25'], /^broken-mta: unknown sender scenario "sender-nope"/],
    [['--scenario', 'weak-dh', '--to', '127.0.0.1:25'], /^broken-mta: unknown sender scenario "weak-dh"/],
    [['--scenario', 'sender-pregreet', '--to', '127.0.0.1'], /--to <host:port>.* give HOST:PORT/],
    [['--scenario', 'sender-pregreet'], /required option '--to <host:port>'/],
    [['--to', '127.0.0.1:25'], /send needs --scenario NAME\|FILE/],
    [['--scenario', 'sender-pregreet', '--to', '127.0.0.1:25', '--count', '0'], /--count <n>.* a whole number, 1 or more/],
  ])('%j', async (args, line) => {
    const result = await send(...args);
    expect(result.code, result.output).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(line);
  });
});

describe('broken-mta send against broken-mta scenarios (both ends real, no sendmail)', () => {
  it("sender-pregreet meets pregreet-554 (sendmail's greet_pause): refused, as a healthy receiver does; exit 0", async () => {
    mta = await startScenario('pregreet-554');
    const result = await send('--scenario', 'sender-pregreet', '--to', `127.0.0.1:${mta.port}`);
    expect(result.code, result.output).toBe(0);
    expect(result.stdout).toMatch(/fault pregreet at CONNECT: sent EHLO before the greeting/);
    expect(result.stdout).toMatch(/S: 554 5\.5\.0 Error: pre-greeting traffic/);
    expect(result.stdout.trimEnd().split('\n').pop()).toBe('outcome: not delivered (the connection ended while EHLO had no reply); as a healthy receiver does (delivered=false)');
    await mta.waitFor((event) => event.type === 'fault' && event.fault === 'greet-pause');
    expect(mta.messages).toHaveLength(0);
  });

  it('--json: every event a JSON line, the result last', async () => {
    mta = await startScenario('starttls-454');
    const result = await send('--scenario', 'sender-starttls-abort', '--to', `127.0.0.1:${mta.port}`, '--json');
    const lines = result.stdout.trimEnd().split('\n').map((line) => JSON.parse(line));
    expect(lines[0]).toMatchObject({ type: 'connect', scenario: 'sender-starttls-abort', session: 1 });
    expect(lines).toContainEqual(expect.objectContaining({ type: 'reply', code: 454 }));
    expect(lines.at(-1)).toEqual({ type: 'result', outcome: expect.objectContaining({ delivered: true, tls: 'refused', secure: false }), asExpected: false });
    expect(result.code).toBe(1);
  });

  it('startSender(): the smuggling sender against smtp-server, which reads <LF>.<CR><LF> as text: not split', async () => {
    mta = await startScenario('good');
    const sent = await startSender('sender-smtp-smuggling', { port: mta.port, count: 1 });
    expect(sent.outcome).toMatchObject({ split: false, messages: 1, delivered: true });
    expect(sent.asExpected).toBe(true);
    expect(mta.messages).toHaveLength(1);
    expect(mta.messages[0]!.raw.toString('latin1')).toContain('\n.\r\nMAIL FROM:<spoofed@example.test>\r\n');
  });

  it('startSender() with a scenario object; a bad one is a ScenarioError naming the field', async () => {
    mta = await startScenario('good');
    const scenario = {
      name: 'sender-mine',
      summary: 'pipelines and ends lines in LF',
      imitates: 'a test',
      fixes: ['y'],
      sender: { starttls: false, faults: [{ fault: 'pipeline' as const, on: 'MAIL' as const }] },
      expect: { delivered: true, tls: 'none' as const },
    };
    const sent = await startSender(scenario, { port: mta.port });
    expect(sent.asExpected).toBe(true);
    expect(sent.events.filter((event) => event.type === 'fault')).toMatchObject([{ fault: 'pipeline', step: 'MAIL' }]);
    await expect(startSender({ ...scenario, sender: { faults: [{ fault: 'pipeline', on: 'RCPT' }] } } as never, { port: mta.port })).rejects.toThrow(
      new ScenarioError('inline sender scenario: sender.faults.0.on: must be one of "MAIL"'),
    );
  });

  it('startSender() rejects with SendError when nothing listens', async () => {
    const port = await fakeReceiver(() => undefined);
    await new Promise((resolve) => server!.close(resolve));
    server = undefined;
    await expect(startSender('sender-pregreet', { port, timeoutMs: 1000 })).rejects.toBeInstanceOf(SendError);
  });
});

describe("README: 'For mail admins: your MTA as the receiver', as printed", () => {
  const [command, output] = codeBlocks('## For mail admins: your MTA as the receiver');

  it('the send line, against client-cert-required standing in for an MTA that asks for a certificate, prints what the README shows', async () => {
    mta = await startScenario('client-cert-required');
    const line = command!.trim();
    expect(line).toMatch(/^broken-mta send .* --to 127\.0\.0\.1:25 /);
    const args = line.replace(/^broken-mta send /, '').replace('127.0.0.1:25', `127.0.0.1:${mta.port}`).split(' ');
    const result = await send(...args);
    expect(result.code, result.output).toBe(1);
    // Every line but for its time and the port, which are the run's own.
    const printed = result.stdout.replace(/^\d\d:\d\d:\d\d\.\d{3} /gm, '').replace(`127.0.0.1:${mta.port}`, '127.0.0.1:25').replace(/after \d+ ms/, 'after N ms');
    const shown = output!.replace(/^\d\d:\d\d:\d\d\.\d{3} /gm, '').replace(/after \d+ ms/, 'after N ms');
    expect(printed).toBe(shown);
  });
});
