// The encrypted stream between the TCP socket and TLS, whichever engine runs it: a Duplex
// that Node's TLSSocket (through its JS stream wrapper) or the scripted engine's
// EngineSocket reads and writes in place of the TCP socket. What goes through it is TLS
// records, so faults here act on the encrypted stream itself: a slow link, a stall after
// the handshake, a close_notify whose TCP connection stays open. Nothing here parses TLS.
import type { Socket } from 'node:net';
import { Duplex } from 'node:stream';

/** How often a throttled link sends its next slice. */
const TICK_MS = 100;

export class EncryptedLink extends Duplex {
  private bytesPerSecond: number | undefined;
  private heldUntil = 0;
  private keepTcpOpen = false;
  private gone = false;
  /** Waits under way (a hold, the throttle's ticks), each ended at once when the link goes. */
  private readonly waits = new Map<NodeJS.Timeout, () => void>();

  constructor(readonly tcp: Socket) {
    super({ allowHalfOpen: true });
  }

  /** Starts carrying bytes (TLS is layered on it from here on). */
  attach(): this {
    const { tcp } = this;
    tcp.on('data', (chunk: Buffer) => {
      if (!this.push(chunk)) tcp.pause();
    });
    tcp.on('end', () => this.push(null));
    // TCP is gone: what TLS still writes (held, throttled) is dropped as written, as TCP
    // would have dropped it, not failed (which TLS reports as an error of its own); once
    // those writes are done, the link goes too.
    tcp.on('close', () => {
      this.gone = true;
      this.wakeAll();
      setImmediate(() => this.destroy());
    });
    tcp.on('error', (error) => this.destroy(error));
    return this;
  }

  /** The server's side sends at most this many bytes a second from now on. */
  throttle(bytesPerSecond: number): void {
    this.bytesPerSecond = bytesPerSecond;
  }

  /**
   * Nothing goes to the client for `ms`: what TLS writes meanwhile (a TLS 1.3 server's
   * session tickets, replies) waits.
   */
  holdFor(ms: number): void {
    this.heldUntil = Math.max(this.heldUntil, Date.now() + ms);
  }

  /** When TLS ends its side (close_notify), the TCP connection stays open: no FIN follows. */
  keepOpenAfterTls(): void {
    this.keepTcpOpen = true;
  }

  // What EngineSocket and smtp-server ask of the socket under TLS, answered by TCP's.
  get readyState(): string {
    return this.tcp.readyState;
  }
  get remoteAddress(): string | undefined {
    return this.tcp.remoteAddress;
  }
  get remotePort(): number | undefined {
    return this.tcp.remotePort;
  }
  get localAddress(): string | undefined {
    return this.tcp.localAddress;
  }
  get localPort(): number | undefined {
    return this.tcp.localPort;
  }
  setTimeout(ms: number, callback?: () => void): this {
    this.tcp.setTimeout(ms, callback);
    return this;
  }
  resetAndDestroy(): this {
    this.tcp.resetAndDestroy();
    return this;
  }

  override _read(): void {
    if (!this.tcp.destroyed) this.tcp.resume();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    void this.send(chunk).then(() => callback());
  }

  override _final(callback: (error?: Error | null) => void): void {
    if (!this.keepTcpOpen && !this.tcp.destroyed) this.tcp.end();
    callback();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.wakeAll();
    if (!this.tcp.destroyed) this.tcp.destroy();
    callback(error);
  }

  /** One chunk to TCP: after a hold, in slices as the throttle allows. */
  private async send(chunk: Buffer): Promise<void> {
    const wait = this.heldUntil - Date.now();
    if (wait > 0) await this.wait(wait);
    const rate = this.bytesPerSecond;
    const slice = rate ? Math.max(1, Math.floor((rate * TICK_MS) / 1000)) : chunk.length;
    for (let offset = 0; offset < chunk.length; offset += slice) {
      if (offset > 0) await this.wait(TICK_MS);
      if (this.gone || this.destroyed || this.tcp.destroyed) return;
      // A failed write shows as TCP's own error, which destroys the link; not twice here.
      await new Promise<void>((resolve) => this.tcp.write(chunk.subarray(offset, offset + slice), () => resolve()));
    }
  }

  /** Ends every wait now: the link, or TCP under it, is gone. */
  private wakeAll(): void {
    for (const [timer, wake] of this.waits) {
      clearTimeout(timer);
      wake();
    }
    this.waits.clear();
  }

  private wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waits.delete(timer);
        resolve();
      }, ms);
      this.waits.set(timer, resolve);
    });
  }
}
