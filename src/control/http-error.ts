// A request the control API refuses: the status says what kind of wrong, the message what.
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    /** Extra response headers (Allow for a 405, WWW-Authenticate for a 401). */
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}
