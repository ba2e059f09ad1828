// What the SMTP layer hands out: the messages it received, and the TLS they came over.

export interface TlsState {
  protocol: string;
  cipher: string;
}

export interface CapturedMessage {
  session: number;
  from: string;
  to: string[];
  secure: boolean;
  /** The TLS session it came over, when it did. */
  tls?: TlsState;
  /** The message as received: RFC 5322 header and body. */
  raw: Buffer;
}
