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

/** A client's own words, quoted in an answer: bounded, and printable. */
export function clip(text: string, max = 100): string {
  const printable = text.replace(/[^\x20-\x7e]/g, '?');
  return printable.length > max ? `${printable.slice(0, max)}...` : printable;
}
