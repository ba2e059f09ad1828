// A client may stop writing before it has read its replies: Exim pipelines QUIT right after
// the final dot and shuts its side of the connection down (shutdown(SHUT_WR)). Node would
// end the session on that FIN, and a reply a fault still holds back (a tarpit's delay)
// would be lost, with a message the server kept and the client retries. So a plaintext
// session stays half-open until every command it received has been answered, then ends.
// Inside TLS, the TLS layer ends the session on the client's close, as before.
import type { Socket } from 'node:net';

export class HalfClose {
  private owed = 0;
  private clientStopped = false;

  constructor(
    /** Ends the session from the server's side (close()). */
    private readonly endSession: () => void,
    /** close() has begun, or the session is gone. */
    private readonly ending: () => boolean,
  ) {}

  /** Keeps `socket` open for replies after the client's FIN; `stopped` runs at the FIN. */
  watch(socket: Socket, stopped: () => void): void {
    socket.allowHalfOpen = true;
    socket.once('end', () => {
      stopped();
      this.clientStopped = true;
      this.endIfAnswered();
    });
  }

  /** The socket now belongs to TLS: a FIN ends the session at once again. */
  release(socket: Socket): void {
    socket.allowHalfOpen = false;
  }

  /** Wraps the callback that answers a command: the answer is owed until it runs. */
  owe<A extends unknown[]>(answer: (...args: A) => void): (...args: A) => void {
    this.owed++;
    let paid = false;
    return (...args: A) => {
      if (!paid) {
        paid = true;
        this.owed--;
      }
      answer(...args);
      this.endIfAnswered();
    };
  }

  private endIfAnswered(): void {
    if (!this.clientStopped || this.owed > 0) return;
    // The next tick: a command pipelined behind the one just answered (QUIT) goes first.
    setImmediate(() => {
      if (this.owed === 0 && !this.ending()) this.endSession();
    });
  }
}
