// Session events are data: the CLI formats them, the API hands them out, tests assert on
// them. One vocabulary with the scenario files: `step` is a scenario step name, `fault` a
// registered fault name.
import { EventEmitter } from 'node:events';
import type { TlsAlert } from './tls/alerts.js';

interface EventBase {
  /** ISO time the event happened. */
  time: string;
  /** The scenario that served the session. */
  scenario: string;
  /** 1-based number of the session within this server's life. */
  session: number;
}

export type Party = 'client' | 'server';

export type SessionEvent = EventBase &
  (
    | { type: 'connect'; remoteAddress: string; remotePort: number; localPort: number }
    | { type: 'command'; step: string; line: string }
    /** `sent`: what went on the wire instead, when a fault wrote the reply otherwise (raw). */
    | { type: 'reply'; code: number; text: string; sent?: string }
    /** Credentials the client gave: the mechanism and the user name, never the secret. */
    | { type: 'auth'; mechanism: string; user: string }
    | { type: 'starttls'; engine: 'node' | 'scripted' }
    /** The client's hello, as the scripted engine read it. */
    | { type: 'tls-hello'; version: string; offeredVersions: string[]; suites: number; sni?: string }
    /** The scripted engine went silent after a handshake step, as its script says. */
    | { type: 'tls-stopped'; after: string }
    | {
        type: 'tls-established';
        protocol: string;
        cipher: string;
        keyExchange?: { kind: string; group?: string; bits?: number };
        sni?: string;
        /** The certificate profile served, where it depends on the name the client sent (tls.sniFallback). */
        certificate?: string;
        clientCertificate?: string;
      }
    /** The server stapled an OCSP response to a handshake (Node does not say to which session: 0). */
    | { type: 'ocsp-stapled'; status: 'good' | 'revoked' }
    /** A client asked broken-mta's revocation server (the CRL distribution point) for a document. */
    | { type: 'revocation-request'; path: string; status: number; remoteAddress: string }
    | {
        type: 'tls-failed';
        /** The alert that came from the client, when one did. */
        clientAlert?: TlsAlert;
        /** The alert the server sent, when it sent one. */
        serverAlert?: TlsAlert;
        /** The TLS library's own error text (not smtp-server's rewritten one). */
        error: string;
      }
    | { type: 'fault'; fault: string; step: string; detail: string }
    | { type: 'warning'; text: string }
    | {
        type: 'limit';
        /** The limit reached, by its name in `Limits` (maxLineBytes, maxRecipients...). */
        limit: string;
        /** The limit's value. */
        value: number;
        detail: string;
      }
    | {
        type: 'message';
        from: string;
        to: string[];
        size: number;
        secure: boolean;
      }
    | { type: 'close'; by: Party; durationMs: number }
  );

export type SessionEventType = SessionEvent['type'];

/** Every event type, for docs and checks; the compiler holds it to the union both ways. */
export const SESSION_EVENT_TYPES = Object.keys({
  connect: true,
  command: true,
  reply: true,
  auth: true,
  starttls: true,
  'tls-hello': true,
  'tls-established': true,
  'tls-failed': true,
  'tls-stopped': true,
  'ocsp-stapled': true,
  'revocation-request': true,
  fault: true,
  warning: true,
  limit: true,
  message: true,
  close: true,
} satisfies Record<SessionEventType, true>) as SessionEventType[];

/** Distributes an event over a union, so `Omit` keeps each member's own fields. */
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
export type SessionEventInput = DistributiveOmit<SessionEvent, keyof EventBase>;

export interface EventLogOptions {
  /** How many events the log keeps for late readers; older ones are dropped first. */
  maxEvents?: number;
}

/**
 * Every event of one server: kept in order for the API (bounded), and emitted as it
 * happens for the CLI and for async iteration.
 */
export class EventLog extends EventEmitter {
  readonly events: SessionEvent[] = [];
  private readonly maxEvents: number;
  private closed = false;

  constructor(options: EventLogOptions = {}) {
    super();
    this.maxEvents = options.maxEvents ?? 10_000;
  }

  record(event: SessionEvent): void {
    this.events.push(event);
    if (this.events.length > this.maxEvents) this.events.shift();
    this.emit('event', event);
  }

  /** Ends async iteration once the server has closed. */
  end(): void {
    this.closed = true;
    this.emit('end');
  }

  /**
   * Past events first, then live ones until the server has closed, none lost in between.
   * A plain iterator: an async generator cost twice as much an event, and a server prints
   * about fifteen a message (BENCHMARKS.md).
   */
  [Symbol.asyncIterator](): AsyncIterator<SessionEvent> {
    let pending: SessionEvent[] = [...this.events];
    let read = 0;
    let wake: (() => void) | undefined;
    const onEvent = (event: SessionEvent) => {
      pending.push(event);
      wake?.();
    };
    const onEnd = () => wake?.();
    this.on('event', onEvent);
    this.on('end', onEnd);
    const stop = (): IteratorResult<SessionEvent> => {
      this.off('event', onEvent);
      this.off('end', onEnd);
      return { value: undefined, done: true };
    };
    const next = async (): Promise<IteratorResult<SessionEvent>> => {
      for (;;) {
        const value = pending[read];
        if (value !== undefined) {
          // Read through once, then start a fresh list, rather than shift() each event out.
          if (++read === pending.length) [pending, read] = [[], 0];
          return { value, done: false };
        }
        if (this.closed) return stop();
        await new Promise<void>((resolve) => (wake = resolve));
        wake = undefined;
      }
    };
    return { next, return: async () => stop() };
  }
}
