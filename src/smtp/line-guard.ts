// Stops a command line longer than the limit (its line ending included) before the SMTP
// parser holds it, so memory stays bounded however long the line: the lines before it run
// as usual, `onTooLong` answers it once, the rest of it is dropped up to its end, and the
// session goes on. A message's content (data mode) is not touched; its size is bounded by
// maxMessageBytes. Pure: it sees the parser only through CommandParser.

export type WriteChunk = (chunk: Buffer, encoding: BufferEncoding | 'buffer', next: (error?: Error | null) => void) => void;

export interface CommandParser {
  /** The parser's own write: it splits lines and runs them. */
  write: WriteChunk;
  /** True in a message's content, or once the parser is retired: nothing to guard. */
  passesThrough(): boolean;
  /** Bytes of an unfinished line the parser holds from earlier chunks. */
  carried(): number;
  /** Forgets that unfinished line. */
  dropCarried(): void;
}

/** The guarded write, to put in place of the parser's own. */
export function guardLineLength(parser: CommandParser, limit: () => number, onTooLong: (bytes: number, complete: boolean) => void): WriteChunk {
  let skipping = false;
  const guarded: WriteChunk = (chunk, encoding, next) => {
    if (parser.passesThrough() || !chunk?.length) return parser.write(chunk, encoding, next);
    if (skipping) {
      const end = chunk.indexOf(0x0a);
      if (end < 0) return next();
      skipping = false;
      return end + 1 < chunk.length ? guarded(chunk.subarray(end + 1), encoding, next) : next();
    }
    const found = firstLongLine(chunk, parser.carried(), limit());
    if (!found) return parser.write(chunk, encoding, next);
    const { start, end, bytes } = found;
    const drop = (): void => {
      parser.dropCarried();
      onTooLong(bytes, end >= 0);
      if (end < 0) {
        skipping = true;
        return next();
      }
      return end + 1 < chunk.length ? guarded(chunk.subarray(end + 1), encoding, next) : next();
    };
    if (start === 0) return drop();
    // The complete lines before it first; one of them may have been DATA, and then the
    // long line is message content after all.
    parser.write(chunk.subarray(0, start), encoding, (error) => {
      if (error) return next(error);
      if (parser.passesThrough()) return guarded(chunk.subarray(start), encoding, next);
      drop();
    });
  };
  return guarded;
}

/**
 * The first line of the chunk over the limit: where it starts, where its line feed is (-1:
 * not in this chunk) and its length so far, counting `carried` bytes for the first line.
 */
export function firstLongLine(chunk: Buffer, carried: number, max: number): { start: number; end: number; bytes: number } | undefined {
  let start = 0;
  for (;;) {
    const end = chunk.indexOf(0x0a, start);
    const bytes = carried + (end < 0 ? chunk.length : end + 1) - start;
    // A line with no end yet that has reached the limit passes it with its line feed.
    if (end < 0 ? bytes >= max : bytes > max) return { start, end, bytes };
    if (end < 0 || end + 1 === chunk.length) return undefined;
    start = end + 1;
    carried = 0;
  }
}
