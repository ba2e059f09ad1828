// Which command lines came with more input behind them: RFC 2920's pipelining, as the
// parser's chunks show it (Postfix asks the same of its input buffer). A line is pipelined
// when, as it is run, the client has already sent more: further lines of the chunk it came
// in, or the start of one. A message's content is not commands: entering it forgets the count.
// Pure: it sees only the chunks the parser is given, and the lines it runs.

export class Lookahead {
  /** Complete lines given to the parser and not run yet. */
  private waiting = 0;
  /** The last chunk ended inside a line. */
  private unfinished = false;
  /** Whether the client had sent more behind the line last run. */
  pipelined = false;

  /** A chunk reaches the parser while it reads commands. */
  arrived(chunk: Buffer): void {
    for (let at = chunk.indexOf(0x0a); at >= 0; at = chunk.indexOf(0x0a, at + 1)) this.waiting++;
    if (chunk.length) this.unfinished = chunk[chunk.length - 1] !== 0x0a;
  }

  /** The rest of the input is a message's content (DATA, a BDAT chunk), not commands. */
  content(): void {
    this.waiting = 0;
    this.unfinished = false;
  }

  /** A command line is run: had the client sent more behind it? */
  dispatched(): void {
    if (this.waiting > 0) this.waiting--;
    this.pipelined = this.waiting > 0 || this.unfinished;
  }
}
