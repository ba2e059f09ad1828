// An engine and a real TLS client (Node's, which is OpenSSL) joined by an in-memory pipe:
// the engine's handshakes are tested against a real peer without a socket.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Duplex } from 'node:stream';
import { connect, type ConnectionOptions, type TLSSocket } from 'node:tls';
import { CertificateCache } from '../../src/certs/cache.js';
import { DEFAULT_HOSTNAME, defaultCertDir } from '../../src/index.js';
import { TlsServerEngine, type EngineConfig, type EngineEvent } from '../../src/tls/engine/engine.js';
import { dhGroup, type DhGroupName } from '../../src/tls/engine/groups.js';
import { derChain } from '../../src/certs/der.js';
import { DEFAULT_SUITES } from '../../src/tls/engine/suites.js';

export const HELLOS = ['openssl', 'openssl-tls1', 'gnutls', 'node'] as const;

/** A ClientHello record captured from a real client (see hellos/README.md). */
export function capturedHello(name: (typeof HELLOS)[number]): Buffer {
  return Buffer.from(readFileSync(join(import.meta.dirname, 'hellos', `${name}.hex`), 'latin1').trim(), 'hex');
}

export async function engineConfig(overrides: Partial<EngineConfig> & { dh?: DhGroupName } = {}): Promise<EngineConfig & { caFile: string }> {
  const cache = new CertificateCache(defaultCertDir(), DEFAULT_HOSTNAME);
  const certificate = await cache.get('valid');
  const { dh, ...rest } = overrides;
  return {
    versions: ['TLSv1', 'TLSv1.1', 'TLSv1.2'],
    suites: DEFAULT_SUITES,
    group: dhGroup(dh ?? '2048'),
    key: certificate.key,
    chain: derChain(certificate.chain),
    caFile: cache.authorityFile('test-ca'),
    ...rest,
  };
}

/** The client's end of the pipe: what it writes goes to the engine, what the engine answers comes back. */
class EngineEnd extends Duplex {
  readonly events: EngineEvent[] = [];
  constructor(readonly engine: TlsServerEngine) {
    super();
  }
  override _read(): void {}
  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: () => void): void {
    const { events, bytes } = this.engine.receive(chunk);
    this.events.push(...events);
    for (const event of events) {
      if (event.type === 'application-data') {
        const reply = this.engine.send(Buffer.concat([Buffer.from('echo: '), event.data]));
        this.events.push(...reply.events);
        if (reply.bytes.length) setImmediate(() => this.push(reply.bytes));
      }
    }
    if (bytes.length) setImmediate(() => this.push(bytes));
    if (this.engine.state === 'closed') setImmediate(() => this.push(null));
    callback();
  }
}

export interface ClientRun {
  /** The echo of 'ping', when the session got that far. */
  reply?: string;
  error?: Error & { code?: string };
  protocol?: string | null;
  cipher?: string;
  events: EngineEvent[];
}

/** Node's TLS client against the engine: handshake, 'ping', the engine's echo. */
export async function runClient(engine: TlsServerEngine, options: ConnectionOptions, caFile: string, timeoutMs = 5000): Promise<ClientRun> {
  const end = new EngineEnd(engine);
  return new Promise<ClientRun>((resolve) => {
    const socket: TLSSocket = connect({ socket: end, servername: DEFAULT_HOSTNAME, ca: readFileSync(caFile), ...options });
    const timer = setTimeout(() => finish({ error: new Error('timed out') }), timeoutMs);
    let done = false;
    const finish = (result: Omit<ClientRun, 'events'>) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      // The alert a failing client sends is still on its way through the pipe.
      setTimeout(() => {
        socket.destroy();
        resolve({ ...result, events: end.events });
      }, result.error ? 50 : 0);
    };
    socket.once('secureConnect', () => {
      socket.write('ping');
      socket.once('data', (data: Buffer) =>
        finish({ reply: data.toString(), protocol: socket.getProtocol(), cipher: socket.getCipher().standardName }),
      );
    });
    socket.once('error', (error) => finish({ error }));
    socket.once('close', () => finish({ error: new Error('closed') }));
  });
}
