// The waits a session's faults ask for (a tarpit's delay, a drip's pause between bytes),
// each cut short when the session ends, so nothing outlives its connection.
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

  /** Writes one byte at a time, `msPerByte` apart, until done or the socket is gone. */
  async drip(socket: Socket, payload: string, msPerByte: number): Promise<void> {
    for (const byte of Buffer.from(payload)) {
      if (socket.destroyed) return;
      socket.write(Buffer.of(byte));
      await this.sleep(msPerByte);
    }
  }

  /** The session ended: every wait ends now. */
  wakeAll(): void {
    for (const wake of [...this.sleeping]) wake();
  }
}
