/**
 * What ends a connection inside the engine: a message for the events and the alert the
 * client gets for it (one of ../alerts.ts). It never leaves the engine (engine.ts turns
 * it into bytes).
 */
export class AlertError extends Error {
  constructor(
    message: string,
    readonly alert: number,
  ) {
    super(message);
  }
}

/** A caller's mistake, not the peer's: the engine is asked for what its state does not allow. It does leave the engine. */
export class EngineUsageError extends Error {}
