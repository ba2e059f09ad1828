// The sending side's TLS on a socket: Node's TLS client does the handshake, and the
// scripted client engine (client.ts, watch mode) reads a copy of every server byte first,
// so a script can act on a message of the server's flight before Node answers it. The
// thin part that does IO; the rules are in client.ts.
import type { Socket } from 'node:net';
import { Duplex } from 'node:stream';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { alert, type TlsAlert } from '../alerts.js';
import { alertFromOpenSslCode } from '../node/errors.js';
import { TlsClientEngine, type ClientEngineEvent, type ClientScript } from './client.js';

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

export function startClientTls(raw: Socket, options: ClientTlsOptions): Promise<ClientTlsResult> {
  return new Promise((resolve) => {
    const engine = new TlsClientEngine({ mode: 'watch', ...(options.script ? { script: options.script } : {}) });
    let settled = false;
    let silent = false;
    let scripted: string | undefined;
    let clientAlert: TlsAlert | undefined;
    let serverAlert: TlsAlert | undefined;
    const fail = (error: string) => {
      if (settled) return;
      settled = true;
      resolve({ established: false, error: scripted ?? error, ...(clientAlert ? { clientAlert } : {}), ...(serverAlert ? { serverAlert } : {}) });
    };
    // What Node's TLS reads and writes: the raw socket, with the engine reading first.
    const wire = new Duplex({
      read() {
        if (!raw.destroyed) raw.resume();
      },
      write(chunk: Buffer, _encoding, callback) {
        if (!settled) clientAlert ??= plaintextAlert(chunk);
        if (raw.destroyed || !raw.writable) return callback();
        raw.write(chunk, () => callback());
      },
      final(callback) {
        if (!raw.destroyed) raw.end();
        callback();
      },
    });
    const onData = (chunk: Buffer) => {
      if (silent) return;
      const out = settled ? undefined : engine.receive(chunk);
      for (const event of out?.events ?? []) {
        options.onEvent?.(event);
        if (event.type === 'alert-received' && event.fatal) serverAlert ??= event.alert;
        if (event.type === 'alert-sent') {
          clientAlert = event.alert;
          scripted = event.reason;
        }
        if (event.type === 'closing') scripted = event.reason;
        if (event.type === 'stopped') {
          silent = true;
          scripted = `scripted: silent after ${event.after}`;
        }
      }
      if (out?.bytes.length && raw.writable) raw.write(out.bytes);
      if (out?.action === 'close') {
        raw.end();
        fail(scripted ?? 'closed');
        return;
      }
      if (silent) return;
      if (!wire.push(chunk)) raw.pause();
    };
    raw.on('data', onData);
    raw.once('end', () => wire.push(null));
    raw.once('close', () => {
      wire.destroy();
      fail('the receiver closed the connection during the handshake');
    });
    const versions = options.versions ? ORDER.filter((version) => options.versions!.includes(version)) : [];
    const legacy = versions.some((version) => version === 'TLSv1' || version === 'TLSv1.1');
    const socket = tlsConnect({
      socket: wire as never,
      // Opportunistic TLS, as MTAs do it: the receiver's certificate is not what is tested.
      rejectUnauthorized: false,
      ...(versions.length ? { minVersion: versions[0]!, maxVersion: versions[versions.length - 1]! } : {}),
      ...(options.ciphers ? { ciphers: options.ciphers } : legacy ? { ciphers: 'DEFAULT:@SECLEVEL=0' } : {}),
    });
    socket.once('secureConnect', () => {
      if (settled) return;
      settled = true;
      const cipher = socket.getCipher();
      resolve({ established: true, socket, protocol: socket.getProtocol() ?? 'unknown', cipher: cipher.standardName ?? cipher.name });
    });
    socket.on('error', (error: NodeJS.ErrnoException) => {
      serverAlert ??= alertFromOpenSslCode(error.code);
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
    let clientAlert: TlsAlert | undefined;
    let serverAlert: TlsAlert | undefined;
    let reason: string | undefined;
    let settled = false;
    const finish = (fallback: string) => {
      if (settled) return;
      settled = true;
      raw.off('data', onData);
      resolve({ established: false, error: reason ?? fallback, ...(clientAlert ? { clientAlert } : {}), ...(serverAlert ? { serverAlert } : {}) });
    };
    let seenHello = false;
    const handle = (out: ReturnType<TlsClientEngine['receive']>) => {
      for (const event of out.events) {
        options.onEvent?.(event);
        if (event.type === 'step') seenHello = true;
        if (event.type === 'alert-received' && event.fatal) {
          serverAlert ??= event.alert;
          reason ??= seenHello ? 'the server gave up on the handshake' : 'the server refused the ClientHello';
        }
        if (event.type === 'alert-sent') {
          clientAlert = event.alert;
          reason ??= event.reason;
        }
        if (event.type === 'closing') reason ??= event.reason;
        if (event.type === 'stopped') reason ??= `scripted: silent after ${event.after}`;
      }
      if (out.bytes.length && raw.writable) raw.write(out.bytes);
      if (out.action === 'close') {
        raw.end();
        finish('closed');
      }
    };
    const onData = (chunk: Buffer) => handle(engine.receive(chunk));
    raw.on('data', onData);
    raw.once('close', () => finish('the receiver closed the connection after the ClientHello'));
    raw.resume();
    handle(engine.start());
  });
}
