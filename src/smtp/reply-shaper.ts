// The replies faults shape (faults/raw.ts, drip, inject): the bytes that go on the wire in
// place of the normal reply, in pieces with pauses. A reply that comes while a shaped one is
// still going out waits its turn, so a paced reply is never overtaken (a pipelining client's
// next reply would otherwise cut into it).
import type { Socket } from 'node:net';
import type { ReplyShape } from '../faults/fault.js';
import { clip } from './event-text.js';
import type { Pacing } from './pacing.js';
import { formatReply, type Reply } from './reply.js';

/** A reply on its way out through the shaper. */
export interface ShapedReply {
  bytes: Buffer;
  segmentBytes?: number | undefined;
  pauseMs?: number | undefined;
  /** Runs once it is written. */
  afterwards?: (() => void) | undefined;
  /** What went on the wire, for the reply event, when it is not the normal reply's text. */
  sent?: string;
}

export class ReplyShaper {
  private next: ReplyShape | undefined;
  private queue: Promise<void> = Promise.resolve();
  private pending = 0;

  constructor(private readonly pacing: Pacing) {}

  /** The next reply goes out shaped so. */
  shapeNext(shape: ReplyShape): void {
    this.next = shape;
  }

  /** The reply as it goes out, when it goes through here: shaped, or behind one that is. */
  take(reply: Reply): ShapedReply | undefined {
    const shape = this.next;
    this.next = undefined;
    if (!shape && this.pending === 0) return undefined;
    const normal = Buffer.from(formatReply(reply.code, reply.lines), 'latin1');
    const bytes = shape?.bytes ? shape.bytes(reply) : normal;
    return {
      bytes,
      segmentBytes: shape?.segmentBytes,
      pauseMs: shape?.pauseMs,
      afterwards: shape?.afterwards,
      ...(bytes.equals(normal) ? {} : { sent: clip(bytes.toString('latin1')) }),
    };
  }

  /** A shaped reply is still going out (the connection waits for it before it closes). */
  get busy(): boolean {
    return this.pending > 0;
  }

  /**
   * Writes it after every shaped reply before it; resolves once it is out. With nothing
   * before it, its first piece is written at once, so a close that follows the reply at
   * once (QUIT's, 421's) comes after it.
   */
  write(socket: Socket, reply: ShapedReply): Promise<void> {
    const out = () => this.pacing.write(socket, reply.bytes, reply.segmentBytes, reply.pauseMs).then(reply.afterwards);
    this.pending++;
    this.queue = (this.pending === 1 ? out() : this.queue.then(out)).finally(() => this.pending--);
    return this.queue;
  }

  /** Resolves once every shaped reply is out. */
  drained(): Promise<void> {
    return this.queue;
  }
}
