// The programmatic API as a client library's test suite uses it.
import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { listScenarios, loadScenario, startScenario, type ScenarioInput, type SessionEvent } from '../src/index.js';
import { sendWithNodemailer } from './support/clients.js';
import { tempDir } from './support/temp.js';

const inline: ScenarioInput = {
  name: 'inline-reject',
  summary: 'Rejects one recipient',
  imitates: 'a server with one mailbox gone',
  symptoms: [{ client: 'nodemailer', prints: '550 5.1.1 User unknown' }],
  fixes: ['remove the address'],
  faults: [{ fault: 'reply', on: 'RCPT', reply: '550 5.1.1 User unknown' }],
};

describe('startScenario', () => {
  it('takes an inline scenario object, validated by the same schema', async () => {
    const mta = await startScenario(inline);
    try {
      const result = await sendWithNodemailer({ port: mta.port });
      expect(result.error?.message).toContain('550 5.1.1 User unknown');
      await mta.waitFor((e) => e.type === 'fault' && e.step === 'RCPT');
      expect(mta.sessions).toBe(1);
    } finally {
      await mta.close();
    }
    expect(() => loadScenario({ ...inline, faults: [{ fault: 'reply', on: 'RCPT', reply: 'oops' }] } as ScenarioInput)).toThrow(
      /inline scenario: faults\.0\.reply/,
    );
  });

  it('captures messages and streams events with for await', async () => {
    const mta = await startScenario('good');
    const seen: SessionEvent['type'][] = [];
    const reading = (async () => {
      for await (const event of mta.events) {
        seen.push(event.type);
        if (event.type === 'close') break;
      }
    })();
    const result = await sendWithNodemailer({ port: mta.port, ca: readFileSync(mta.caFile, 'utf8'), requireTLS: true });
    expect(result.error).toBeUndefined();
    await reading;
    expect(seen).toEqual(expect.arrayContaining(['connect', 'starttls', 'tls-established', 'message', 'close']));
    expect(mta.events.map((e) => e.type)).toEqual(seen);
    expect(mta.messages[0]).toMatchObject({ from: 'sender@client.example.test', secure: true, tls: { protocol: 'TLSv1.3' } });
    expect(mta.messages[0]!.raw.toString()).toMatch(/^Content-Type: text\/plain/m);
    await mta.close();
  });

  it('keeps at most limits.maxMessages in memory', async () => {
    const mta = await startScenario('groupwise-450', { limits: { maxMessages: 2 } });
    for (let i = 0; i < 3; i++) await sendWithNodemailer({ port: mta.port, opportunisticTLS: true, to: [`rcpt${i}@example.test`] });
    expect(mta.messages.map((m) => m.to[0])).toEqual(['rcpt1@example.test', 'rcpt2@example.test']);
    await mta.close();
  });

  it('--store writes each message as .eml plus a JSON line, all flushed by close()', async () => {
    const dir = tempDir('store');
    const mta = await startScenario('good', { store: dir });
    await sendWithNodemailer({ port: mta.port, ca: readFileSync(mta.caFile, 'utf8'), requireTLS: true });
    await mta.close();
    const emls = readdirSync(dir).filter((file) => file.endsWith('.eml'));
    expect(emls).toHaveLength(1);
    expect(readFileSync(join(dir, emls[0]!), 'utf8')).toContain('Hello from the test suite.');
    const line = JSON.parse(readFileSync(join(dir, 'messages.jsonl'), 'utf8').trim());
    expect(line).toMatchObject({ file: emls[0], scenario: 'good', to: ['rcpt@mx.broken-mta.test'], tls: { protocol: 'TLSv1.3' } });
  });

  it('close() ends open sessions and frees the port', async () => {
    const mta = await startScenario('good');
    const { rawConnect, readUntil } = await import('./support/clients.js');
    const socket = await rawConnect(mta.port);
    await readUntil(socket, /^220 /m);
    const ended = new Promise((resolve) => socket.once('close', resolve));
    await mta.close();
    await ended;
    const probe = createServer();
    await new Promise<void>((resolve, reject) => probe.once('error', reject).listen(mta.port, '127.0.0.1', resolve));
    probe.close();
  });

  it('a session that ended leaves the session table', async () => {
    const mta = await startScenario('good');
    for (const requireTLS of [true, false]) {
      await sendWithNodemailer({ port: mta.port, ca: readFileSync(mta.caFile, 'utf8'), requireTLS, ignoreTLS: !requireTLS });
    }
    await mta.waitFor((e) => e.type === 'close' && e.session === 2);
    expect(mta.sessions).toBe(2);
    expect(mta.openSessions).toBe(0);
    await mta.close();
  });

  it('waitFor rejects with the events so far when nothing matches in time', async () => {
    const mta = await startScenario('good');
    await expect(mta.waitFor((e) => e.type === 'message', { timeoutMs: 100 })).rejects.toThrow(/no matching event within 100 ms/);
    await mta.close();
  });

  it('listScenarios names the catalogue', () => {
    expect(listScenarios().map((s) => s.name)).toContain('expired-cert');
  });
});
