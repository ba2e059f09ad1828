// Where a message's content goes: kept in memory (bounded: maxMessageBytes each,
// maxMessages in all), said in a `message` event, handed to onMessage (--store), and
// answered once the faults at END-OF-DATA have had their turn. A message that comes again
// (the same Message-ID) is said to be a retry.
import type { SMTPServerDataStream, SMTPServerSession } from 'smtp-server';
import type { SessionEventInput } from '../events.js';
import type { Limits } from '../limits.js';
import type { Scenario } from '../scenario/schema.js';
import type { BrokenConnection } from './connection.js';
import type { CapturedMessage } from './types.js';

type DataCallback = (err?: Error | null, message?: string) => void;

export class MessageIntake {
  readonly messages: CapturedMessage[] = [];
  /** Message-ID → the session that brought it, for the most recent messages. */
  private readonly seenMessageIds = new Map<string, number>();
  private readonly maxMessageBytes: number;

  constructor(
    private readonly scenario: Scenario,
    private readonly limits: Limits,
    private readonly record: (session: number, event: SessionEventInput) => void,
    private readonly onMessage: ((message: CapturedMessage) => void) | undefined,
  ) {
    this.maxMessageBytes = scenario.smtp.size ?? limits.maxMessageBytes;
  }

  /** `connectionOf` is asked at the message's end: the session may be gone by then. */
  receive(stream: SMTPServerDataStream, session: SMTPServerSession, connectionOf: () => BrokenConnection | undefined, callback: DataCallback): void {
    const chunks: Buffer[] = [];
    let size = 0;
    stream.on('data', (chunk: Buffer) => {
      size += chunk.length;
      // Past the limit the bytes are counted, not kept: memory stays bounded.
      if (size <= this.maxMessageBytes) chunks.push(chunk);
    });
    stream.on('end', () => {
      const connection = connectionOf();
      const number = connection?.sessionNumber ?? 0;
      if (stream.sizeExceeded || size > this.maxMessageBytes) return callback(this.tooBig(number, size));
      const from = session.envelope.mailFrom ? session.envelope.mailFrom.address : '';
      const to = session.envelope.rcptTo.map((rcpt) => rcpt.address);
      const secure = Boolean(session.secure);
      this.record(number, { type: 'message', from, to, size, secure });
      const tls = connection?.tls.state;
      const raw = Buffer.concat(chunks);
      this.keep({ session: number, from, to, secure, ...(tls ? { tls } : {}), raw });
      if (!connection) return callback(null, 'Message accepted');
      connection.answered.finishData(callback, raw);
    });
  }

  private tooBig(session: number, size: number): Error {
    const limit = this.scenario.smtp.size ? 'smtp.size' : 'maxMessageBytes';
    this.record(session, { type: 'limit', limit, value: this.maxMessageBytes, detail: `a message of ${size} bytes refused` });
    return Object.assign(new Error(`5.3.4 Message too big: ${size} bytes, limit ${this.maxMessageBytes}`), { responseCode: 552 });
  }

  private keep(message: CapturedMessage): void {
    this.messages.push(message);
    if (this.messages.length > this.limits.maxMessages) this.messages.shift();
    const messageId = messageIdOf(message.raw);
    if (messageId) {
      // A client that never got its 250 sends the same message again; the events say so.
      const earlier = this.seenMessageIds.get(messageId);
      if (earlier !== undefined) {
        this.record(message.session, { type: 'warning', text: `duplicate: the same message (Message-ID ${messageId}) as in session ${earlier}; the client is retrying` });
      }
      this.seenMessageIds.set(messageId, message.session);
      const oldest = this.seenMessageIds.keys().next();
      if (this.seenMessageIds.size > this.limits.maxMessages && !oldest.done) this.seenMessageIds.delete(oldest.value);
    }
    this.onMessage?.(message);
  }
}

function messageIdOf(raw: Buffer): string | undefined {
  const text = raw.subarray(0, 65536).toString('latin1');
  // The header ends at the first empty line: found, not split out of the whole text.
  const end = text.search(/\r?\n\r?\n/);
  const header = end < 0 ? text : text.slice(0, end);
  return /^message-id:\s*(<[^>\r\n]+>)/im.exec(header)?.[1];
}
