// The sending side's TLS on a socket, the thin part that does IO around the scripted client
// engine (client.ts, where the rules are). Two ways in:
// - startClientTls: Node's TLS client does the handshake, and the engine (watch mode) reads
//   a copy of every server byte first, so a script can act on a message of the server's
//   flight before Node answers it.
// - startScriptedHello: the engine's own ClientHello (hello mode), for what Node will not send.
import type { Socket } from 'node:net';
import { Duplex } from 'node:stream';
import { connect as tlsConnect, type ConnectionOptions, type TLSSocket } from 'node:tls';
import { alert, type TlsAlert } from '../alerts.js';
import { alertFromOpenSslCode } from '../node/errors.js';
import { TlsClientEngine, type ClientEngineEvent, type ClientEngineOutput, type ClientScript } from './client.js';

export type ClientTlsVersion = 'TLSv1' | 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3';

export interface ClientTlsOptions {
  /** The versions offered (lowest to highest is taken from the list); Node's defaults when absent. */
  versions?: readonly ClientTlsVersion[];
  /** OpenSSL cipher string (TLS 1.2 and older). */
  ciphers?: string;
  script?: ClientScript;
  /** The engine's view of the handshake, as it happens (the server's messages, alerts, silence). */
  onEvent?: (event: ClientEngineEvent) => void;
}

export type ClientTlsResult =
  | { established: true; socket: TLSSocket; protocol: string; cipher: string }
  | { established: false; error: string; clientAlert?: TlsAlert; serverAlert?: TlsAlert };

const ORDER: readonly ClientTlsVersion[] = ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'];

/** A fatal alert record in plaintext (before any key is in use): its description. */
function plaintextAlert(chunk: Buffer): TlsAlert | undefined {
  if (chunk.length !== 7 || chunk[0] !== 21 || chunk[1] !== 3 || chunk[5] !== 2) return undefined;
  return alert(chunk[6]!);
}

/** What a failed handshake comes to: the alerts either side sent, and why it ended. */
class Failure {
  clientAlert: TlsAlert | undefined;
  serverAlert: TlsAlert | undefined;
  reason: string | undefined;
  silent = false;
  private flight = false;

  constructor(private readonly onEvent: ClientTlsOptions['onEvent']) {}

  /** Notes the engine's events; passes them on. */
  read(events: readonly ClientEngineEvent[], mode: 'watch' | 'hello'): void {
    for (const event of events) {
      this.onEvent?.(event);
      if (event.type === 'step') this.flight = true;
      if (event.type === 'alert-received' && event.fatal) {
        this.serverAlert ??= event.alert;
        // Node says in its own words what the server's alert meant; the hello's engine cannot.
        if (mode === 'hello') this.reason ??= this.flight ? 'the server gave up on the handshake' : 'the server refused the ClientHello';
      }
      if (event.type === 'alert-sent') {
        this.clientAlert = event.alert;
        this.reason = event.reason;
      }
      if (event.type === 'closing') this.reason = event.reason;
      if (event.type === 'stopped') {
        this.silent = true;
        this.reason = `scripted: silent after ${event.after}`;
      }
    }
  }

  result(fallback: string): ClientTlsResult {
    const { clientAlert, serverAlert } = this;
    return { established: false, error: this.reason ?? fallback, ...(clientAlert ? { clientAlert } : {}), ...(serverAlert ? { serverAlert } : {}) };
  }
}

function nodeOptions(options: ClientTlsOptions, wire: Duplex): ConnectionOptions {
  const versions = options.versions ? ORDER.filter((version) => options.versions!.includes(version)) : [];
  const legacy = versions.some((version) => version === 'TLSv1' || version === 'TLSv1.1');
  return {
    socket: wire as never,
    // Opportunistic TLS, as MTAs do it: the receiver's certificate is not what is tested.
    rejectUnauthorized: false,
    ...(versions.length ? { minVersion: versions[0]!, maxVersion: versions[versions.length - 1]! } : {}),
    // TLS 1.0 and 1.1 exist in OpenSSL 3 only at security level 0.
    ...(options.ciphers ? { ciphers: options.ciphers } : legacy ? { ciphers: 'DEFAULT:@SECLEVEL=0' } : {}),
  };
}

export function startClientTls(raw: Socket, options: ClientTlsOptions): Promise<ClientTlsResult> {
  return new Promise((resolve) => {
    const engine = new TlsClientEngine({ mode: 'watch', ...(options.script ? { script: options.script } : {}) });
    const failure = new Failure(options.onEvent);
    let settled = false;
    const fail = (error: string) => {
      if (settled) return;
      settled = true;
      resolve(failure.result(error));
    };
    // What Node's TLS reads and writes: the raw socket, with the engine reading first.
    const wire = new Duplex({
      read: () => void (raw.destroyed || raw.resume()),
      write(chunk: Buffer, _encoding, callback) {
        if (!settled) failure.clientAlert ??= plaintextAlert(chunk);
        if (raw.destroyed || !raw.writable) return callback();
        raw.write(chunk, () => callback());
      },
      final(callback) {
        if (!raw.destroyed) raw.end();
        callback();
      },
    });
    raw.on('data', (chunk: Buffer) => {
      if (failure.silent) return;
      const out = settled ? undefined : engine.receive(chunk);
      if (out) failure.read(out.events, 'watch');
      if (out?.bytes.length && raw.writable) raw.write(out.bytes);
      if (out?.action === 'close') {
        raw.end();
        return fail('closed');
      }
      if (!failure.silent && !wire.push(chunk)) raw.pause();
    });
    raw.once('end', () => wire.push(null));
    raw.once('close', () => {
      wire.destroy();
      fail('the receiver closed the connection during the handshake');
    });
    const socket = tlsConnect(nodeOptions(options, wire));
    socket.once('secureConnect', () => {
      if (settled) return;
      settled = true;
      const cipher = socket.getCipher();
      resolve({ established: true, socket, protocol: socket.getProtocol() ?? 'unknown', cipher: cipher.standardName ?? cipher.name });
    });
    socket.on('error', (error: NodeJS.ErrnoException) => {
      failure.serverAlert ??= alertFromOpenSslCode(error.code);
      fail(error.message);
      socket.destroy();
    });
    socket.once('close', () => fail('the connection closed during the handshake'));
  });
}

/**
 * The scripted client's own hello (hello mode): for what Node's client will not offer. No
 * handshake completes; the result says how it ended (the server's alert, the script, or
 * the client giving up after the server's first flight).
 */
export function startScriptedHello(raw: Socket, clientHello: Buffer, options: Pick<ClientTlsOptions, 'script' | 'onEvent'>): Promise<ClientTlsResult> {
  return new Promise((resolve) => {
    const engine = new TlsClientEngine({ mode: 'hello', clientHello, ...(options.script ? { script: options.script } : {}) });
    const failure = new Failure(options.onEvent);
    let settled = false;
    const finish = (fallback: string) => {
      if (settled) return;
      settled = true;
      raw.off('data', onData);
      resolve(failure.result(fallback));
    };
    const handle = (out: ClientEngineOutput) => {
      failure.read(out.events, 'hello');
      if (out.bytes.length && raw.writable) raw.write(out.bytes);
      if (out.action !== 'close') return;
      raw.end();
      finish('closed');
    };
    const onData = (chunk: Buffer) => handle(engine.receive(chunk));
    raw.on('data', onData);
    raw.once('close', () => finish('the receiver closed the connection after the ClientHello'));
    raw.resume();
    handle(engine.start());
  });
}
