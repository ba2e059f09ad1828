// BDAT (RFC 3030): a message in chunks, each announced with its size (`BDAT n`, the last
// `BDAT n LAST`), read as it is and answered once read. The assembled message goes the way
// DATA's does (message-intake.ts, then the faults at END-OF-DATA); the faults at BDAT answer
// each chunk. A chunk is always read, even one that is refused, so that its bytes are never
// taken for commands.
import { PassThrough } from 'node:stream';
import type { SMTPServerDataStream } from 'smtp-server';
import type { DataCallback } from './answers.js';
import type { ChunkSink } from './chunk-reader.js';
import type { FaultRunner } from './fault-runner.js';

/** What chunking needs of smtp-server's connection (internals.ts makes it). */
export interface ChunkWire {
  /** The open transaction's envelope, once it has a recipient. */
  transaction(): object | undefined;
  readChunk(bytes: number, sink: ChunkSink): void;
  /** Hands a message to the server's onData, as DATA does. */
  deliver(stream: SMTPServerDataStream, callback: DataCallback): void;
  /** The transaction is over, as after DATA: a new one may begin. */
  endTransaction(): void;
}

export type BdatCommand = { bytes: number; last: boolean } | { error: string };

export function parseBdat(line: string): BdatCommand {
  const match = /^BDAT +(\d{1,15})( +LAST)? *$/i.exec(line);
  return match ? { bytes: Number(match[1]), last: Boolean(match[2]) } : { error: '5.5.4 Syntax: BDAT chunk-size [LAST]' };
}

export class Chunking {
  /** The transaction the chunks so far belong to; RSET, EHLO or a new MAIL make another. */
  private envelope: object | undefined;
  private message: (SMTPServerDataStream & PassThrough) | undefined;
  private received = 0;
  private refused = false;
  private lastReply: ((err?: Error | null, text?: string) => void) | undefined;

  constructor(
    private readonly wire: ChunkWire,
    private readonly faults: FaultRunner,
    private readonly send: (code: number, text: string) => void,
    private readonly maxBytes: number,
  ) {}

  /** A BDAT command line: its chunk is read, then answered. */
  command(line: string, done: () => void): void {
    const command = parseBdat(line.trim());
    if ('error' in command) {
      this.send(501, command.error);
      return done();
    }
    const envelope = this.wire.transaction();
    if (envelope !== this.envelope) this.begin(envelope);
    const refusal = !envelope ? '5.5.1 Error: need MAIL and RCPT first' : this.refused ? '5.5.1 Error: the message was refused, RSET first' : undefined;
    this.wire.readChunk(command.bytes, {
      bytes: (part) => !refusal && this.take(part),
      end: (resume) => (refusal ? (this.send(503, refusal), resume()) : this.answer(command, resume)),
    });
    done();
  }

  private begin(envelope: object | undefined): void {
    this.envelope = envelope;
    this.message = undefined;
    this.received = 0;
    this.refused = false;
  }

  private take(part: Buffer): void {
    if (!this.message) {
      this.message = Object.assign(new PassThrough(), { byteLength: 0, sizeExceeded: false });
      this.wire.deliver(this.message, (err, text) => this.lastReply?.(err, text));
    }
    this.received += part.length;
    // The intake reads as it flows, and past the limit counts the bytes without keeping them.
    this.message.write(part);
  }

  private answer({ bytes, last }: { bytes: number; last: boolean }, resume: () => void): void {
    const normal = () => {
      if (last) return this.finish(resume);
      this.send(250, `2.0.0 ${bytes} octets received`);
      resume();
    };
    // A chunk a fault answered fails the message (RFC 3030 §2); after LAST a new one may begin.
    const answered = () => {
      if (last) this.endTransaction();
      else this.refused = true;
      resume();
    };
    this.faults.runStep('BDAT', `${bytes}${last ? ' LAST' : ''}`, normal, answered);
  }

  private endTransaction(): void {
    this.wire.endTransaction();
    this.begin(undefined);
  }

  /** The LAST chunk: the message goes to the intake, and its reply ends the transaction. */
  private finish(resume: () => void): void {
    if (!this.message) this.take(Buffer.alloc(0));
    const message = this.message!;
    message.byteLength = this.received;
    message.sizeExceeded = this.received > this.maxBytes;
    this.lastReply = (err, text) => {
      this.lastReply = undefined;
      if (err) this.send((err as Error & { responseCode?: number }).responseCode ?? 450, err.message);
      else this.send(250, text ?? 'Message accepted');
      this.endTransaction();
      resume();
    };
    message.end();
  }
}
