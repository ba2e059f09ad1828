// The waits a session's faults ask for (a tarpit's delay, the pause between the pieces of a
// shaped reply), each cut short when the session ends, so nothing outlives its connection.
import type { Socket } from 'node:net';

export class Pacing {
  private readonly sleeping = new Set<() => void>();

  constructor(private readonly gone: () => boolean) {}

  /** Waits, but no longer than the session lives. */
  sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      if (this.gone()) return resolve();
      const wake = () => {
        clearTimeout(timer);
        this.sleeping.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.sleeping.add(wake);
    });
  }

  /**
   * Writes in pieces of `segmentBytes`, `pauseMs` apart, each its own TCP segment (Nagle
   * would join them), until done or the socket can take no more; resolves once the socket
   * has passed the last piece on (to TCP, or to TLS and on to TCP).
   */
  async write(socket: Socket, bytes: Buffer, segmentBytes = bytes.length, pauseMs = 0): Promise<void> {
    // A TLS socket passes it on to TCP; the scripted engine's socket has no such setting.
    if (segmentBytes < bytes.length && typeof socket.setNoDelay === 'function') socket.setNoDelay(true);
    for (let offset = 0; offset < bytes.length; offset += Math.max(1, segmentBytes)) {
      if (offset > 0 && pauseMs > 0) await this.sleep(pauseMs);
      if (socket.destroyed || !socket.writable) return;
      const written = new Promise<void>((resolve) => socket.write(bytes.subarray(offset, offset + segmentBytes), () => resolve()));
      if (offset + segmentBytes >= bytes.length) await written;
    }
  }

  /** The session ended: every wait ends now. */
  wakeAll(): void {
    for (const wake of [...this.sleeping]) wake();
  }
}
