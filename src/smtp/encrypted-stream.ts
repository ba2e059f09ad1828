// A session's encrypted stream as faults bend it: the link under TLS (tls/link.ts), put in
// before the handshake when the scenario's faults act on the stream, and the ways a TLS
// session can end badly (close_notify with TCP left open, TCP closed with no close_notify,
// a reset), each on the layer it belongs to, whichever engine runs TLS.
import type { Socket } from 'node:net';
import type { EngineConfig } from '../tls/engine/engine.js';
import { EncryptedLink } from '../tls/link.js';
import type { TlsOutcome } from './tls-outcome.js';

/** What the stream needs of its session. */
export interface StreamSession {
  /** The TCP socket under any TLS. */
  readonly tcp: Socket;
  readonly tls: TlsOutcome;
  /** The session runs no step (the client's commands wait) for `ms`. */
  holdSteps(ms: number): void;
  /** TLS is layered on the link instead of on TCP (the handshake has not begun). */
  interpose(link: EncryptedLink): void;
  /** Ends the session as the server's doing: TLS's close_notify, then smtp-server's close. */
  close(): void;
  /** The server is ending the session another way (the close event names who did). */
  endedByServer(): void;
}

export class EncryptedStream {
  private link: EncryptedLink | undefined;
  /** (scripted engine) The most plaintext one of its records carries, when a fault says. */
  recordBytes: number | undefined;

  /** `wanted`: the scenario has faults that act on the stream after the handshake. */
  constructor(
    private readonly session: StreamSession,
    private readonly wanted: boolean,
  ) {}

  /** Right before the handshake: TLS goes through the link when a fault set it up or will use it. */
  beforeHandshake(): void {
    if (this.link || this.wanted) this.session.interpose(this.linkNow());
  }

  /** The engine's settings for this session: the scenario's, with the record size a fault set. */
  engineConfig(config: EngineConfig): EngineConfig {
    return this.recordBytes === undefined ? config : { ...config, recordBytes: this.recordBytes };
  }

  throttle(bytesPerSecond: number): void {
    this.linkNow().throttle(bytesPerSecond);
  }

  /**
   * Once the handshake is done (the server's Finished is out), the session stalls for `ms`:
   * nothing goes to the client, and none of its commands runs.
   */
  stallAfterHandshake(ms: number): void {
    const link = this.linkNow();
    this.session.tls.whenSettled((established) => {
      if (!established) return;
      link.holdFor(ms);
      this.session.holdSteps(ms);
    });
  }

  /** close_notify, and TCP stays open: until the client closes it, or smtp-server's half-close deadline. */
  closeNotify(): void {
    this.link?.keepOpenAfterTls();
    this.session.close();
  }

  /** TCP ends under TLS (a FIN, no close_notify first): what TLS calls a truncation. */
  closeTcp(): void {
    this.session.endedByServer();
    this.session.tcp.destroy();
  }

  /** A TCP RST, under TLS or not (a TLS socket has no reset of its own). */
  reset(): void {
    this.session.endedByServer();
    this.session.tcp.resetAndDestroy();
  }

  private linkNow(): EncryptedLink {
    return (this.link ??= new EncryptedLink(this.session.tcp));
  }
}
