// The messages every listener received, with ids of their own, newest last; bounded as a
// scenario's own list is (limits.maxMessages), oldest dropped first.
import type { CapturedMessage, TlsState } from '../smtp/types.js';

export interface MessageSummary {
  id: number;
  port: number;
  scenario: string;
  session: number;
  /** When it was received (ISO time). */
  time: string;
  from: string;
  to: string[];
  secure: boolean;
  tls?: TlsState;
  size: number;
}

export type ReceivedMessage = MessageSummary & { raw: Buffer };

export class MessageBox {
  private readonly kept: ReceivedMessage[] = [];
  private lastId = 0;

  constructor(private readonly maxMessages: number) {}

  add(port: number, scenario: string, message: CapturedMessage): ReceivedMessage {
    const { session, from, to, secure, tls, raw } = message;
    const received: ReceivedMessage = { id: ++this.lastId, port, scenario, session, time: new Date().toISOString(), from, to, secure, ...(tls ? { tls } : {}), size: raw.length, raw };
    this.kept.push(received);
    if (this.kept.length > this.maxMessages) this.kept.shift();
    return received;
  }

  list(listener?: number): MessageSummary[] {
    return this.kept.filter((message) => listener === undefined || message.port === listener).map(summary);
  }

  get(id: number): ReceivedMessage | undefined {
    return this.kept.find((message) => message.id === id);
  }

  /** Forgets every message (ids go on from where they were); says how many. */
  clear(): number {
    return this.kept.splice(0).length;
  }
}

export function summary({ raw: _raw, ...rest }: ReceivedMessage): MessageSummary {
  return rest;
}
