// The control API's model without HTTP: a listener whose scenario changes while it runs,
// driven by real clients (nodemailer, a raw socket), judged by what they saw and by the
// events, each with its id, port and scenario.
import { afterEach, describe, expect, it } from 'vitest';
import { Control } from '../../src/control/control.js';
import { DEFAULT_HOSTNAME, defaultCertDir } from '../../src/index.js';
import { rawConnect, readUntil, sendWithNodemailer } from '../support/clients.js';

let control: Control | undefined;

async function startControl(): Promise<Control> {
  control = await Control.start({ host: '127.0.0.1', hostname: DEFAULT_HOSTNAME, certDir: defaultCertDir() });
  return control;
}

afterEach(async () => {
  await control?.close();
  control = undefined;
});

const plaintext = (port: number) => sendWithNodemailer({ port, opportunisticTLS: true, rejectUnauthorized: false });

describe('a listener', () => {
  it('gives new connections the new scenario while an open session keeps its own', async () => {
    const control = await startControl();
    const listener = await control.startListener(control.resolve('groupwise-450'));
    const open = await rawConnect(listener.port);
    await readUntil(open, /^220 .*GroupWise/m);
    await listener.setScenario(control.resolve('mailbox-full-452'));
    const refused = await plaintext(listener.port);
    expect(refused.error?.message).toContain('452 4.2.2 Mailbox full');
    // The session opened before the change is still GroupWise's: STARTTLS gets its 450.
    open.write('EHLO client.example.test\r\nSTARTTLS\r\n');
    expect(await readUntil(open, /^450 /m)).toMatch(/^450 TLS negotation failure/m);
    open.destroy();
    expect(listener.info()).toMatchObject({ scenario: 'mailbox-full-452', sessions: 2, next: [] });
    const connects = control.bus.since(0).events.filter((e) => e.type === 'connect');
    expect(connects.map((e) => [e.port, e.scenario, e.session])).toEqual([
      [listener.port, 'groupwise-450', 1],
      [listener.port, 'mailbox-full-452', 2],
    ]);
  });

  it('serves the next N connections with a queued scenario, then its own again', async () => {
    const control = await startControl();
    const listener = await control.startListener(control.resolve('groupwise-450'));
    await listener.queueNext(control.resolve('mailbox-full-452'), 2);
    expect(listener.info().next).toEqual([{ scenario: 'mailbox-full-452', connections: 2 }]);
    const outcomes = [];
    for (let attempt = 0; attempt < 3; attempt++) outcomes.push((await plaintext(listener.port)).ok);
    expect(outcomes).toEqual([false, false, true]);
    expect(listener.info().next).toEqual([]);
    expect(control.messages.list().map((m) => [m.port, m.scenario, m.session])).toEqual([[listener.port, 'groupwise-450', 3]]);
  });

  it('stops with 421 4.3.2 to open sessions, and frees its port', async () => {
    const control = await startControl();
    const listener = await control.startListener(control.resolve('good'));
    const open = await rawConnect(listener.port);
    await readUntil(open, /^220 /m);
    const [said] = await Promise.all([readUntil(open, /^421 /m), control.stopListener(listener.port)]);
    expect(said).toMatch(/^421 4\.3\.2 Service shutting down/m);
    await expect(rawConnect(listener.port)).rejects.toThrow(/ECONNREFUSED/);
    expect(control.listenerInfos()).toEqual([]);
  });

  it('numbers events 1, 2, 3... across listeners, and long-polls for the next', async () => {
    const control = await startControl();
    const [a, b] = [await control.startListener(control.resolve('good')), await control.startListener(control.resolve('greylist'))];
    const waiting = control.bus.wait(0, { listener: b.port }, 5000, new AbortController().signal);
    await plaintext(a.port);
    await plaintext(b.port);
    const page = await waiting;
    expect(page.events[0]).toMatchObject({ port: b.port, scenario: 'greylist', session: 1, type: 'connect' });
    const all = control.bus.since(0).events;
    expect(all.map((e) => e.id)).toEqual(all.map((_, index) => index + 1));
    expect(new Set(all.map((e) => e.port))).toEqual(new Set([a.port, b.port]));
  });
});
