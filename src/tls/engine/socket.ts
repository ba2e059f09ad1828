// Drives the sans-IO engine on a socket: the thin part that does IO. Once the handshake is
// done it is a plaintext Duplex, which smtp-server reads and writes as it would a TLSSocket.
import type { Socket } from 'node:net';
import { Duplex } from 'node:stream';
import { TlsServerEngine, type EngineConfig, type EngineEvent } from './engine.js';

export class EngineSocket extends Duplex {
  readonly engine: TlsServerEngine;
  private ended = false;

  constructor(
    readonly raw: Socket,
    config: EngineConfig,
    private readonly onEvent: (event: EngineEvent) => void,
  ) {
    super({ allowHalfOpen: false });
    this.engine = new TlsServerEngine(config);
    raw.on('data', (chunk: Buffer) => this.deliver(this.engine.receive(chunk)));
    raw.on('end', () => this.finish());
    raw.on('close', () => {
      this.finish();
      this.destroy();
    });
    raw.on('error', (error) => this.destroy(error));
    raw.resume();
  }

  /** What the handshake negotiated, in the shape of TLSSocket.getCipher(). */
  getCipher(): { name: string; standardName: string; version: string } {
    const suite = this.engine.negotiatedSuite;
    return { name: suite?.openssl ?? '', standardName: suite?.name ?? '', version: this.engine.negotiatedVersion ?? '' };
  }

  getProtocol(): string | null {
    return this.engine.negotiatedVersion ?? null;
  }

  get readyState(): string {
    return this.raw.readyState;
  }
  get remoteAddress(): string | undefined {
    return this.raw.remoteAddress;
  }
  get remotePort(): number | undefined {
    return this.raw.remotePort;
  }
  get localAddress(): string | undefined {
    return this.raw.localAddress;
  }
  get localPort(): number | undefined {
    return this.raw.localPort;
  }

  setTimeout(ms: number, callback?: () => void): this {
    this.raw.setTimeout(ms, callback);
    return this;
  }

  resetAndDestroy(): this {
    this.raw.resetAndDestroy();
    return this;
  }

  private deliver({ events, bytes }: ReturnType<TlsServerEngine['receive']>): void {
    if (bytes.length && this.raw.writable) this.raw.write(bytes);
    for (const event of events) {
      // Backpressure: a client faster than the SMTP parser waits in its own socket buffer.
      if (event.type === 'application-data' && !this.push(event.data)) this.raw.pause();
      this.onEvent(event);
    }
    if (this.engine.state === 'closed') {
      this.finish();
      if (!this.raw.destroyed) this.raw.end();
    }
  }

  /** The client's end of the stream, once. */
  private finish(): void {
    if (this.ended) return;
    this.ended = true;
    this.push(null);
  }

  override _read(): void {
    // Data is pushed as the engine opens records; reading on is all that is asked for.
    if (!this.raw.destroyed) this.raw.resume();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    if (this.engine.state !== 'established' || !this.raw.writable) return callback();
    const { bytes } = this.engine.send(chunk);
    if (this.raw.write(bytes)) callback();
    else this.raw.once('drain', () => callback());
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.deliver(this.engine.close());
    callback();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    if (!this.raw.destroyed) this.raw.destroy();
    callback(error);
  }
}
