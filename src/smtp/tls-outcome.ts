// How a session's TLS ended, said once. Whichever engine ran the handshake and whatever
// ended it (the client's alert, the server's alert, a fault, a timeout, a closed socket),
// the events get one tls-established or one tls-failed, built here and nowhere else.
import type { TLSSocket } from 'node:tls';
import type { SessionEventInput } from '../events.js';
import type { TlsAlert } from '../tls/alerts.js';
import type { TlsState } from './types.js';

type Established = Extract<SessionEventInput, { type: 'tls-established' }>;
type Failed = Extract<SessionEventInput, { type: 'tls-failed' }>;

export type EstablishedDetails = Omit<Established, 'type'>;
export type FailedDetails = Omit<Failed, 'type'>;

export class TlsOutcome {
  private settledNow = false;
  private stateNow: TlsState | undefined;

  constructor(private readonly record: (event: SessionEventInput) => void) {}

  /** Established or failed: said once, nothing more will be. */
  get settled(): boolean {
    return this.settledNow;
  }

  /** The TLS session, once the handshake is done. */
  get state(): TlsState | undefined {
    return this.stateNow;
  }

  /** The handshake completed; false when it had already been said (Node asks twice for implicit TLS). */
  established(details: EstablishedDetails): boolean {
    if (this.stateNow) return false;
    this.settledNow = true;
    this.stateNow = { protocol: details.protocol, cipher: details.cipher };
    this.record({ type: 'tls-established', ...details });
    return true;
  }

  /** The handshake failed, or never happened; only the first reason is kept. */
  failed(details: FailedDetails): void {
    if (this.settledNow) return;
    this.settledNow = true;
    this.record({ type: 'tls-failed', ...details });
  }

  /** The scripted engine counts a handshake done at its Finished, which the client may still refuse. */
  refusedAfterFinished(clientAlert: TlsAlert): void {
    this.record({ type: 'tls-failed', clientAlert, error: "the client refused the server's Finished" });
  }
}

/** What Node's TLS negotiated, for tls-established; undefined when the socket has no cipher any more. */
export function nodeTlsDetails(socket: TLSSocket, withClientCertificate: boolean): EstablishedDetails | undefined {
  // A client that closes right after the handshake leaves a socket with no cipher.
  const cipher = socket.getCipher() as ReturnType<TLSSocket['getCipher']> | null;
  if (!cipher) return undefined;
  const name = cipher.standardName ?? cipher.name;
  const keyExchange = keyExchangeOf(name);
  return {
    protocol: socket.getProtocol() ?? 'unknown',
    cipher: name,
    ...(keyExchange ? { keyExchange } : {}),
    ...(socket.servername ? { sni: socket.servername } : {}),
    ...(withClientCertificate ? { clientCertificate: String(socket.getPeerCertificate().subject?.CN ?? '(none)') } : {}),
  };
}

function keyExchangeOf(cipher: string): { kind: string } | undefined {
  if (/^TLS_AES|^TLS_CHACHA20/.test(cipher)) return { kind: 'ECDHE (TLS 1.3)' };
  if (/_ECDHE_/.test(cipher)) return { kind: 'ECDHE' };
  if (/_DHE_/.test(cipher)) return { kind: 'DHE' };
  if (/^TLS_RSA_/.test(cipher)) return { kind: 'RSA' };
  return undefined;
}
