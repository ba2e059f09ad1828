/** The alerts the engine sends, by name (RFC 5246 §7.2). */
export const ALERT = {
  closeNotify: 0,
  unexpectedMessage: 10,
  badRecordMac: 20,
  recordOverflow: 22,
  handshakeFailure: 40,
  illegalParameter: 47,
  decodeError: 50,
  decryptError: 51,
  protocolVersion: 70,
  internalError: 80,
  noRenegotiation: 100,
} as const;

/**
 * What ends a connection inside the engine: a message for the events and the alert the
 * client gets for it. It never leaves the engine (engine.ts turns it into bytes).
 */
export class AlertError extends Error {
  constructor(
    message: string,
    readonly alert: number,
  ) {
    super(message);
  }
}
