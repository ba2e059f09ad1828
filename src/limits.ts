// What every session is bounded by. Each limit, when reached, gets a reply and a `limit`
// event naming it (by its key here); the CLI's flags and the API's `limits` option set them.
export interface Limits {
  /** Largest message accepted, in bytes (advertised as SIZE, 552 beyond). */
  maxMessageBytes: number;
  /** Sessions at once; 421 beyond. */
  maxConnections: number;
  /** A session idle this long gets 421 and is closed. */
  idleTimeoutMs: number;
  /** On close, how long a session in the middle of a message may take to finish it. */
  closeTimeoutMs: number;
  /** Messages kept in memory for the API; older ones are dropped first. */
  maxMessages: number;
  /** Longest command line, in bytes with its line ending; 500 beyond (the rest of the line is dropped). */
  maxLineBytes: number;
  /** Recipients in one message; 452 beyond. */
  maxRecipients: number;
  /** Sessions at once from one client address; 421 beyond. */
  maxConnectionsPerClient: number;
  /** A session open this long gets 421 and is closed, however busy it is. */
  maxSessionMs: number;
  /** A TLS handshake not done this long after it began: the session is closed. */
  tlsHandshakeTimeoutMs: number;
}

export const DEFAULT_LIMITS: Readonly<Limits> = {
  maxMessageBytes: 10 * 1024 * 1024,
  maxConnections: 100,
  idleTimeoutMs: 60_000,
  closeTimeoutMs: 1500,
  maxMessages: 1000,
  // RFC 5321 §4.5.3.1 allows 512 for a command, 1000 for a text line; real clients send
  // longer AUTH and MAIL lines, so the default is generous. It only bounds memory.
  maxLineBytes: 4096,
  maxRecipients: 100,
  maxConnectionsPerClient: 20,
  maxSessionMs: 10 * 60_000,
  tlsHandshakeTimeoutMs: 10_000,
};
