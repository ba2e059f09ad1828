// STARTTLS's own rules, and the scripted engine's handshake as the session sees it: its
// events become session events and the session's one TLS outcome.
import type { Party, SessionEventInput } from '../events.js';
import type { TlsSettings } from '../scenario/schema.js';
import type { EngineEvent } from '../tls/engine/engine.js';
import type { EngineSocket } from '../tls/engine/socket.js';
import { clip } from './event-text.js';
import { formatReply, parseReply } from './reply.js';
import type { SessionPhase } from './session-phase.js';
import type { EstablishedDetails, TlsOutcome } from './tls-outcome.js';

/**
 * RFC 3207 §4.2: what a client sends after STARTTLS, in plaintext, before the handshake,
 * must be discarded (smtp-server does). A client that pipelines commands there can be
 * fooled by an attacker who injects commands the same way, so the events say so: this is
 * the warning when the client's last plaintext chunk went on after the STARTTLS line.
 */
export function pipeliningWarning(lastChunk: Buffer | undefined): string | undefined {
  const text = lastChunk?.toString('latin1') ?? '';
  const after = /STARTTLS\r?\n/i.exec(text);
  const rest = after ? text.slice(after.index + after[0].length) : '';
  if (!rest) return undefined;
  return `client pipelined plaintext after STARTTLS (${JSON.stringify(clip(rest))}): discarded; a client that does this is open to STARTTLS command injection (RFC 3207 §4.2)`;
}

/**
 * Says yes to STARTTLS as the scenario has it: the ready reply, with the lines a fault
 * injects in the same write (so they reach the client in the 220's segment), after a
 * warning when the client pipelined past the command.
 */
export function agreeToStartTls(
  tls: Pick<TlsSettings, 'ready' | 'engine'>,
  lastChunk: Buffer | undefined,
  injected: readonly string[] | undefined,
  session: { record(event: SessionEventInput): void; write(bytes: string): void; reply(code: number, lines: string[]): void },
): void {
  const warning = pipeliningWarning(lastChunk);
  if (warning) session.record({ type: 'warning', text: warning });
  const { code, lines } = parseReply(tls.ready);
  if (injected) {
    session.record({ type: 'reply', code, text: [...lines, ...injected].join('\n') });
    session.write(formatReply(code, lines) + injected.map((line) => `${line}\r\n`).join(''));
  } else {
    session.reply(code, lines);
  }
  session.record({ type: 'starttls', engine: tls.engine });
}

/** What the engine's handshake needs of the session. */
export interface EngineSession {
  readonly phase: SessionPhase;
  readonly tls: TlsOutcome;
  /** The DH group the engine serves, as tls-established names it. */
  readonly groupName: string;
  record(event: SessionEventInput): void;
  /** Names who ended the connection, unless someone already is. */
  endedBy(party: Party): void;
  /** smtp-server's session moves onto the engine's socket; false when the connection is already gone. */
  switchTo(secure: EngineSocket, serverName: string | undefined): boolean;
  /** The handshake is done, and was said: the session goes on. */
  established(details: EstablishedDetails): void;
}

/** One handshake of the scripted engine, from the session's side. */
export class EngineHandshake {
  private lastStep: string | undefined;
  private dataSeen = false;
  private serverName: string | undefined;

  constructor(private readonly session: EngineSession) {}

  on(event: EngineEvent, secure: EngineSocket): void {
    const { session } = this;
    switch (event.type) {
      case 'client-hello':
        this.serverName = event.serverName;
        return session.record({
          type: 'tls-hello',
          version: event.version,
          offeredVersions: event.offeredVersions,
          suites: event.suites,
          ...(event.serverName ? { sni: event.serverName } : {}),
        });
      case 'alert-received':
        return this.alertReceived(event);
      case 'alert-sent':
        if (!event.fatal || session.tls.settled) return;
        session.endedBy('server');
        return session.tls.failed({ serverAlert: event.alert, error: event.reason });
      case 'stopped':
        return session.record({ type: 'tls-stopped', after: event.after });
      case 'step':
        this.lastStep = event.step;
        return;
      case 'application-data':
        this.dataSeen = true;
        return;
      case 'handshake-complete':
        if (!session.switchTo(secure, this.serverName)) return;
        return session.established({
          protocol: event.version,
          cipher: event.suite.name,
          keyExchange: { ...event.keyExchange, ...(event.keyExchange.kind === 'DHE' ? { group: session.groupName } : {}) },
          ...(this.serverName ? { sni: this.serverName } : {}),
        });
      case 'closed':
        return;
    }
  }

  private alertReceived(event: Extract<EngineEvent, { type: 'alert-received' }>): void {
    const { session } = this;
    // A client may refuse the server's Finished after the engine counted the handshake done.
    if (event.fatal && session.tls.state && !this.dataSeen) {
      session.endedBy('client');
      return session.tls.refusedAfterFinished(event.alert);
    }
    if (session.phase.now !== 'handshake' || session.tls.settled) return;
    // A warning alert other than close_notify changes nothing.
    if (!event.fatal && event.alert.code !== 0) return;
    session.endedBy('client');
    session.tls.failed({ clientAlert: event.alert, error: `the client ${event.fatal ? 'aborted' : 'closed'} the handshake after ${this.lastStep ?? 'connecting'}` });
  }
}
