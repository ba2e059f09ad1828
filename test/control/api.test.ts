// The control API over HTTP, judged by real clients (nodemailer, raw sockets) on the
// listeners it starts, and by what it hands back: events with ids, ports and scenarios,
// messages with envelope and TLS state.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { catalogueNames } from '../../src/scenario/load.js';
import { opensslStarttls, rawConnect, readUntil, sendWithNodemailer } from '../support/clients.js';
import { tempDir } from '../support/temp.js';
import { startApi, waitForEvent, type Api } from './support.js';

async function listen(api: Api, scenario: unknown): Promise<number> {
  const started = await api.call('POST', '/listeners', { body: { scenario } });
  expect(started.status, started.text).toBe(201);
  return started.json.port as number;
}

describe('the catalogue', () => {
  it('lists every scenario, shows one, and suggests a name for a typo', async () => {
    const api = await startApi();
    const list = await api.call('GET', '/scenarios');
    expect(list.json.scenarios.map((s: { name: string }) => s.name)).toEqual(catalogueNames());
    const page = await api.call('GET', '/scenarios/weak-dh');
    expect(page.json).toMatchObject({ name: 'weak-dh', tls: { engine: 'scripted', dh: 512 } });
    expect(page.json.symptoms.length).toBeGreaterThan(0);
    expect(await api.call('GET', '/scenarios/weak_dh')).toMatchObject({ status: 404, json: { error: expect.stringContaining('did you mean "weak-dh"') } });
  });
});

describe('listeners', () => {
  it('starts one on a free port; openssl, trusting GET /ca.pem, fails on expired-cert and the events say alert 45, with port and scenario', async () => {
    const api = await startApi();
    const port = await listen(api, 'expired-cert');
    const ca = (await api.call('GET', '/ca.pem')).text;
    expect(ca).toMatch(/^-----BEGIN CERTIFICATE-----/);
    const caFile = join(tempDir('control-ca'), 'ca.pem');
    writeFileSync(caFile, ca);
    const client = await opensslStarttls(port, ['-CAfile', caFile, '-verify_return_error']);
    expect(client.output).toContain('certificate verify failed');
    const failed = await waitForEvent(api, (e) => e.type === 'tls-failed', { listener: port });
    expect(failed).toMatchObject({ port, scenario: 'expired-cert', session: 1, type: 'tls-failed', clientAlert: { code: 45, name: 'certificate_expired' } });
    await waitForEvent(api, (e) => e.type === 'close', { listener: port });
    expect((await api.call('GET', '/listeners')).json.listeners).toEqual([{ port, host: '127.0.0.1', scenario: 'expired-cert', sessions: 1, open: 0, next: [] }]);
  });

  it('PUT: new connections get the new scenario, the open session keeps its own; next: two refused, then delivered', async () => {
    const api = await startApi();
    const port = await listen(api, 'groupwise-450');
    const open = await rawConnect(port);
    await readUntil(open, /^220 .*GroupWise/m);
    expect((await api.call('PUT', `/listeners/${port}`, { body: { scenario: 'good' } })).json).toMatchObject({ scenario: 'good' });
    const queued = await api.call('POST', `/listeners/${port}/next`, { body: { scenario: 'mailbox-full-452', connections: 2 } });
    expect(queued.json.next).toEqual([{ scenario: 'mailbox-full-452', connections: 2 }]);
    open.write('EHLO client.example.test\r\nSTARTTLS\r\n');
    expect(await readUntil(open, /^450 /m)).toMatch(/^450 TLS negotation failure/m);
    open.destroy();
    const ca = (await api.call('GET', '/ca.pem')).text;
    const outcomes = [];
    for (let attempt = 1; attempt <= 3; attempt++) {
      const sent = await sendWithNodemailer({ port, ca, opportunisticTLS: true, message: { subject: `attempt ${attempt}` } });
      outcomes.push(sent.ok ? 'delivered' : sent.error!.message.match(/452 4\.2\.2 Mailbox full/)?.[0]);
    }
    expect(outcomes).toEqual(['452 4.2.2 Mailbox full', '452 4.2.2 Mailbox full', 'delivered']);
    const connects = (await api.call('GET', `/events?listener=${port}`)).json.events.filter((e: { type: string }) => e.type === 'connect');
    expect(connects.map((e: { scenario: string; session: number }) => `${e.scenario}#${e.session}`)).toEqual(['groupwise-450#1', 'mailbox-full-452#2', 'mailbox-full-452#3', 'good#4']);
    const messages = (await api.call('GET', `/messages?listener=${port}`)).json.messages;
    expect(messages).toEqual([expect.objectContaining({ port, scenario: 'good', session: 4, secure: true, tls: { protocol: 'TLSv1.3', cipher: expect.any(String) } })]);
    const detail = await api.call('GET', `/messages/${messages[0].id}`);
    expect(detail.json.headers).toMatch(/^Subject: attempt 3$/m);
    const eml = await api.call('GET', `/messages/${messages[0].id}.eml`);
    expect(eml.headers.get('content-type')).toBe('message/rfc822');
    expect(eml.text).toContain('Hello from the test suite.');
    expect((await api.call('DELETE', '/messages')).json).toEqual({ deleted: 1 });
    expect((await api.call('GET', '/messages')).json).toEqual({ messages: [] });
    expect((await api.call('GET', `/messages/${messages[0].id}`)).status).toBe(404);
  });

  it('DELETE: an open session gets 421 4.3.2 and the port is free; the listener is gone', async () => {
    const api = await startApi();
    const port = await listen(api, 'good');
    const open = await rawConnect(port);
    await readUntil(open, /^220 /m);
    const [said, stopped] = await Promise.all([readUntil(open, /^421 /m), api.call('DELETE', `/listeners/${port}`)]);
    expect(said).toMatch(/^421 4\.3\.2 Service shutting down/m);
    expect(stopped).toMatchObject({ status: 200, json: { port, scenario: 'good', sessions: 1 } });
    await expect(rawConnect(port)).rejects.toThrow(/ECONNREFUSED/);
    expect((await api.call('DELETE', `/listeners/${port}`)).status).toBe(404);
  });

  it('refuses a busy port with 409, an unknown scenario with 400, and an inline one with the loader\'s own field: message', async () => {
    const api = await startApi();
    const port = await listen(api, 'good');
    expect(await api.call('POST', '/listeners', { body: { scenario: 'good', port } })).toMatchObject({ status: 409, json: { error: expect.stringContaining(`port ${port}`) } });
    expect(await api.call('POST', '/listeners', { body: { scenario: 'expird-cert' } })).toMatchObject({ status: 400, json: { error: expect.stringContaining('did you mean "expired-cert"') } });
    const inline = { name: 'bad', faults: [{ fault: 'reply', on: 'RCPT', reply: 'oops' }] };
    expect((await api.call('POST', '/listeners', { body: { scenario: inline } })).json.error).toMatch(/^inline scenario: faults\.0\.reply: /);
    const withFile = { ...inline, faults: [], tls: { engine: 'scripted', dh: { file: '/etc/passwd' } } };
    expect(await api.call('POST', '/listeners', { body: { scenario: withFile } })).toMatchObject({ status: 400, json: { error: expect.stringContaining('reads no files') } });
    for (const base of ['../scenarios/good.yaml', '/etc/passwd', 'greylist.yaml']) {
      expect(await api.call('POST', '/listeners', { body: { scenario: { extends: base } } })).toMatchObject({ status: 400, json: { error: expect.stringContaining('extends: the control API reads no files') } });
    }
    const extended = await api.call('POST', '/listeners', { body: { scenario: { name: 'greylist-slow', extends: 'greylist', smtp: { greeting: '220 {hostname} slow' } } } });
    expect(extended).toMatchObject({ status: 201, json: { scenario: 'greylist-slow' } });
    const good = { ...inline, name: 'inline-550', faults: [{ fault: 'reply', on: 'RCPT', reply: '550 5.1.1 User unknown' }] };
    const inlinePort = await listen(api, good);
    expect((await sendWithNodemailer({ port: inlinePort })).error?.message).toContain('550 5.1.1 User unknown');
  });
});

describe('bounds and --store', () => {
  it('queues at most 100 scenarios on a listener (409 after), and writes messages to --store only', async () => {
    const store = tempDir('control-store');
    const api = await startApi({ store });
    const port = await listen(api, 'groupwise-450');
    for (let i = 0; i < 100; i++) expect((await api.call('POST', `/listeners/${port}/next`, { body: { scenario: 'good' } })).status).toBe(200);
    expect(await api.call('POST', `/listeners/${port}/next`, { body: { scenario: 'good' } })).toMatchObject({ status: 409, json: { error: expect.stringContaining('100 scenarios are queued') } });
    await api.call('DELETE', `/listeners/${port}`);
    const plain = await listen(api, 'groupwise-450');
    expect((await sendWithNodemailer({ port: plain, opportunisticTLS: true })).ok).toBe(true);
    await api.control.close();
    const files = readdirSync(store).sort();
    expect(files).toEqual([expect.stringMatching(/-groupwise-450-s1-1\.eml$/), 'messages.jsonl']);
    expect(JSON.parse(readFileSync(join(store, 'messages.jsonl'), 'utf8'))).toMatchObject({ scenario: 'groupwise-450', session: 1 });
  });
});

describe('events', () => {
  it('long-polls: an answer comes when the first matching event does, not before, and `last` carries on from there', async () => {
    const api = await startApi();
    const [quiet, busy] = [await listen(api, 'good'), await listen(api, 'greylist')];
    const since = (await api.call('GET', '/healthz')).json.lastEvent;
    const started = Date.now();
    const waiting = api.call('GET', `/events?listener=${busy}&since=${since}&wait=10000`);
    await new Promise((resolve) => setTimeout(resolve, 300));
    await sendWithNodemailer({ port: quiet, ignoreTLS: true });
    const client = await rawConnect(busy);
    const page = (await waiting).json;
    client.destroy();
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    expect(page.events[0]).toMatchObject({ port: busy, scenario: 'greylist', type: 'connect' });
    expect(page.events.every((e: { port: number }) => e.port === busy)).toBe(true);
    const all = (await api.call('GET', `/events?since=${since}`)).json.events;
    const ids = all.map((e: { id: number }) => e.id);
    expect(ids).toEqual(ids.map((_: number, index: number) => since + index + 1));
    const newest = (await api.call('GET', '/healthz')).json.lastEvent;
    expect((await api.call('GET', `/events?since=${newest}&wait=0`)).json).toEqual({ events: [], last: newest, missed: 0 });
  });

  it('streams as Server-Sent Events, and replays from Last-Event-ID', async () => {
    const api = await startApi();
    const port = await listen(api, 'good');
    const stream = await fetch(`${api.url}/events/stream?listener=${port}`);
    expect(stream.headers.get('content-type')).toBe('text/event-stream');
    const reader = stream.body!.getReader();
    await sendWithNodemailer({ port, ignoreTLS: true });
    let text = '';
    while (!/"type":"close"/.test(text)) text += new TextDecoder().decode((await reader.read()).value);
    await reader.cancel();
    const events = [...text.matchAll(/^id: (\d+)\ndata: (.*)$/gm)].map((m) => ({ id: Number(m[1]), event: JSON.parse(m[2]!) }));
    expect(events.map((e) => e.event.type)).toEqual(expect.arrayContaining(['connect', 'message', 'close']));
    expect(events.every(({ id, event }) => event.id === id && event.port === port && event.scenario === 'good')).toBe(true);
    const replay = await fetch(`${api.url}/events/stream`, { headers: { 'last-event-id': String(events[0]!.id) } });
    const replayReader = replay.body!.getReader();
    let replayed = '';
    while (!/"type":"close"/.test(replayed)) replayed += new TextDecoder().decode((await replayReader.read()).value);
    await replayReader.cancel();
    expect(replayed).toContain(`id: ${events[1]!.id}\n`);
    expect(replayed).not.toContain(`id: ${events[0]!.id}\n`);
  });

  it('never hands out an AUTH secret', async () => {
    const api = await startApi();
    const port = await listen(api, 'good');
    const client = await rawConnect(port);
    await readUntil(client, /^220 /m);
    client.write('EHLO client.example.test\r\nAUTH PLAIN AHVzZXIAaHVudGVyMg==\r\nQUIT\r\n');
    await readUntil(client, /^221 /m);
    client.destroy();
    const events = await api.call('GET', `/events?listener=${port}`);
    expect(events.text).toContain('AUTH PLAIN');
    expect(events.text).not.toContain('AHVzZXIAaHVudGVyMg');
  });
});

describe('access', () => {
  it('with a token: 401 without it or with a wrong one, 200 with it', async () => {
    const api = await startApi({ token: 's3cret' });
    expect(await api.call('GET', '/listeners')).toMatchObject({ status: 401, json: { error: expect.stringContaining('Bearer') } });
    expect((await api.call('GET', '/listeners')).headers.get('www-authenticate')).toBe('Bearer');
    expect((await api.call('GET', '/listeners', { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
    expect((await api.call('GET', '/listeners', { headers: { authorization: 'Bearer s3cret' } })).status).toBe(200);
  });

  it('without a token, answers loopback names only (a page whose name rebinds to 127.0.0.1 gets 403)', async () => {
    const api = await startApi();
    const { request } = await import('node:http');
    const status = (host: string) =>
      new Promise<number>((resolve, reject) => {
        const port = Number(new URL(api.url).port);
        request({ host: '127.0.0.1', port, path: '/healthz', headers: { host } }, (response) => (response.resume(), resolve(response.statusCode!))).on('error', reject).end();
      });
    expect(await status('attacker.example:8025')).toBe(403);
    expect(await status('localhost:8025')).toBe(200);
    expect(await status('127.0.0.1')).toBe(200);
  });
});
