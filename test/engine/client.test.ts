// The scripted TLS client without sockets, against the scripted server engine: bytes from
// one fed to the other, in memory, both sans-IO.
import { describe, expect, it } from 'vitest';
import { CertificateCache } from '../../src/certs/cache.js';
import { DEFAULT_HOSTNAME, defaultCertDir } from '../../src/index.js';
import { TlsClientEngine, type ClientEngineEvent, type ClientScript } from '../../src/tls/engine/client.js';
import { scriptedHello } from '../../src/tls/engine/client-hello.js';
import { TlsServerEngine } from '../../src/tls/engine/engine.js';
import { dhGroup } from '../../src/tls/engine/groups.js';
import { derChain } from '../../src/certs/der.js';
import { SUITES } from '../../src/tls/engine/suites.js';

async function server(): Promise<TlsServerEngine> {
  const cert = await new CertificateCache(defaultCertDir(), DEFAULT_HOSTNAME).get('valid');
  return new TlsServerEngine({ versions: ['TLSv1', 'TLSv1.1', 'TLSv1.2'], suites: SUITES, group: dhGroup('2048'), key: cert.key, chain: derChain(cert.chain) });
}

const hello = (versions: Array<'SSLv3' | 'TLSv1' | 'TLSv1.2'>, suites = ['DHE-RSA-AES128-SHA']) => scriptedHello({ versions, suites, renegotiationInfo: true }).message;

/** One round: the client's hello to the server, the server's flight to the client. */
async function round(script?: ClientScript, versions: Array<'SSLv3' | 'TLSv1' | 'TLSv1.2'> = ['TLSv1.2']) {
  const engine = await server();
  const client = new TlsClientEngine({ mode: 'hello', clientHello: hello(versions), ...(script ? { script } : {}) });
  const first = client.start();
  const flight = engine.receive(first.bytes);
  const answer = client.receive(flight.bytes);
  const reply = engine.receive(answer.bytes);
  return { client, answer, reply, serverEvents: [...flight.events, ...reply.events] };
}

const steps = (events: ClientEngineEvent[]) => events.flatMap((event) => (event.type === 'step' ? [event.step] : []));

describe('the scripted TLS client, hello mode, against the scripted server', () => {
  it("reads the server's whole flight, then gives up with user_canceled (90), which the server records", async () => {
    const { answer, reply, client } = await round();
    expect(steps(answer.events)).toEqual(['ServerHello', 'Certificate', 'ServerKeyExchange', 'ServerHelloDone']);
    expect(answer.events).toContainEqual({ type: 'server-hello', version: 'TLSv1.2', suite: 'TLS_DHE_RSA_WITH_AES_128_CBC_SHA' });
    expect(answer.action).toBe('close');
    expect(client.state).toBe('closed');
    expect(reply.events).toContainEqual({ type: 'alert-received', alert: { code: 90, name: 'user_canceled' }, fatal: true });
  });

  it('the server sees the hello as it was built: versions and suites', async () => {
    const { serverEvents } = await round(undefined, ['TLSv1']);
    expect(serverEvents).toContainEqual(expect.objectContaining({ type: 'client-hello', version: 'TLSv1', offeredVersions: ['TLSv1', 'SSLv3'], suites: 1, renegotiationInfo: true }));
  });

  it('alertAfter: a fatal alert right after the named message, nothing after it', async () => {
    const { answer, reply } = await round({ alertAfter: { step: 'ServerHello', alert: 40 } });
    expect(steps(answer.events)).toEqual(['ServerHello']);
    expect(answer.bytes).toEqual(Buffer.from([21, 3, 3, 0, 2, 2, 40]));
    expect(reply.events).toContainEqual({ type: 'alert-received', alert: { code: 40, name: 'handshake_failure' }, fatal: true });
  });

  it('closeAfter: no bytes, a close; stopAfter: silence, the rest of the flight read and dropped', async () => {
    const closed = await round({ closeAfter: 'Certificate' });
    expect(closed.answer).toMatchObject({ action: 'close', bytes: Buffer.alloc(0) });
    expect(closed.answer.events).toContainEqual({ type: 'closing', reason: 'scripted: closed after Certificate' });
    const silent = await round({ stopAfter: 'ServerKeyExchange' });
    expect(silent.answer).toMatchObject({ action: 'silence', bytes: Buffer.alloc(0) });
    expect(steps(silent.answer.events)).toEqual(['ServerHello', 'Certificate', 'ServerKeyExchange']);
  });

  it('an SSLv3 hello has no extensions; a server of TLS 1.0 and later refuses it with protocol_version (70), and the client closes', async () => {
    const { answer } = await round(undefined, ['SSLv3']);
    expect(answer.events).toEqual([{ type: 'alert-received', alert: { code: 70, name: 'protocol_version' }, fatal: true }]);
    expect(answer.action).toBe('close');
    expect(scriptedHello({ versions: ['SSLv3'], suites: ['RC4-SHA'], renegotiationInfo: true }).message.length).toBe(4 + 2 + 32 + 1 + 2 + 2 + 1 + 1);
  });

  it('what is not TLS ends the connection with the alert that names it; in watch mode it only ends the watching', () => {
    const hello = new TlsClientEngine({ mode: 'hello', clientHello: Buffer.from([1, 0, 0, 0]) });
    const out = hello.receive(Buffer.from('554 5.7.0 go away\r\n'));
    expect(out.action).toBe('close');
    expect(out.events[0]).toMatchObject({ type: 'alert-sent' });
    const watch = new TlsClientEngine({ mode: 'watch' });
    const watched = watch.receive(Buffer.from('554 5.7.0 go away\r\n'));
    expect(watched).toMatchObject({ action: 'continue', bytes: Buffer.alloc(0) });
    expect(watched.events[0]).toMatchObject({ type: 'watch-ended' });
  });
});
