// Reads a BDAT chunk (RFC 3030) off the parser's input: exactly the bytes the command
// announced, taken as they are, however they are split into TCP chunks; then whatever
// follows goes back to the parser as commands, once the chunk's reply is out. Pure: it sees
// only the writes the parser is given.
import type { WriteChunk } from './line-guard.js';

export interface ChunkSink {
  /** A part of the chunk, as it arrives. */
  bytes(part: Buffer): void;
  /** The chunk is whole; `resume` hands what came after it back to the parser. */
  end(resume: () => void): void;
}

export class ChunkReader {
  private remaining = 0;
  private sink: ChunkSink | undefined;

  /** `inner` reads commands; `inChunk` tells the parser that its input is not commands now. */
  constructor(
    private readonly inner: WriteChunk,
    private readonly inChunk: (reading: boolean) => void,
  ) {}

  /** The next `bytes` bytes of input are a chunk. */
  read(bytes: number, sink: ChunkSink): void {
    this.remaining = bytes;
    this.sink = sink;
    this.inChunk(true);
  }

  /** The parser's write, with the chunk taken out. */
  readonly write: WriteChunk = (chunk, encoding, next) => {
    const sink = this.sink;
    if (!sink) return this.inner(chunk, encoding, next);
    const taken = Math.min(this.remaining, chunk?.length ?? 0);
    if (taken) sink.bytes(chunk.subarray(0, taken));
    this.remaining -= taken;
    if (this.remaining > 0) return next();
    this.sink = undefined;
    this.inChunk(false);
    const rest = chunk ? chunk.subarray(taken) : Buffer.alloc(0);
    sink.end(() => (rest.length ? this.inner(rest, encoding, next) : next()));
  };
}
