// The sending side's TLS on a socket: Node's TLS client does the handshake, and the
// scripted client engine (client.ts, watch mode) reads a copy of every server byte first,
// so a script can act on a message of the server's flight before Node answers it. The
// thin part that does IO; the rules are in client.ts.
import type { Socket } from 'node:net';
import { Duplex } from 'node:stream';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { alert, type TlsAlert } from '../alerts.js';
import { alertFromOpenSslCode } from '../node/errors.js';
import { TlsClientEngine, type ClientScript, type ServerFlightStep } from './client.js';

export type ClientTlsVersion = 'TLSv1' | 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3';

export interface ClientTlsOptions {
  /** The versions offered (lowest to highest is taken from the list); Node's defaults when absent. */
  versions?: readonly ClientTlsVersion[];
  /** OpenSSL cipher string (TLS 1.2 and older). */
  ciphers?: string;
  script?: ClientScript;
  /** Called when the script goes silent after a server message. */
  onStopped?: (after: ServerFlightStep) => void;
  /** Called for each message of the server's flight, as it is read. */
  onStep?: (step: ServerFlightStep) => void;
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
        if (event.type === 'step') options.onStep?.(event.step);
        if (event.type === 'alert-received' && event.fatal) serverAlert ??= event.alert;
        if (event.type === 'alert-sent') {
          clientAlert = event.alert;
          scripted = event.reason;
        }
        if (event.type === 'closing') scripted = event.reason;
        if (event.type === 'stopped') {
          silent = true;
          scripted = `scripted: silent after ${event.after}`;
          options.onStopped?.(event.after);
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
