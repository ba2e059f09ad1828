// The receiver's replies (RFC 5321 §4.2), cut out of the byte stream: `250-first`,
// `250 last`. Sans-IO and bounded, since the receiver may be as broken as a sender: a
// banner of megabytes without a line end, or a reply that never stops, ends the session
// with one clear reason instead of filling memory.

export interface Reply {
  code: number;
  /** The text of each line, without the code and separator. */
  lines: string[];
}

export class ReplyError extends Error {}

/** More than any real reply needs (an EHLO is a few hundred bytes), little enough to hold. */
export const MAX_REPLY_BYTES = 64 * 1024;
const MAX_LINE_BYTES = 4096;

export class ReplyReader {
  private pending = '';
  private lines: string[] = [];
  /** The code of the reply being read, while its continuation lines come. */
  private code = 0;
  private replyBytes = 0;

  /** Bytes from the receiver; the replies they complete, in order. Throws ReplyError on garbage. */
  push(bytes: Buffer): Reply[] {
    this.pending += bytes.toString('latin1');
    const replies: Reply[] = [];
    for (;;) {
      const end = this.pending.indexOf('\n');
      if (end < 0) break;
      const line = this.pending.slice(0, end).replace(/\r$/, '');
      this.pending = this.pending.slice(end + 1);
      const reply = this.onLine(line, end + 1);
      if (reply) replies.push(reply);
    }
    if (this.pending.length > MAX_LINE_BYTES) {
      throw new ReplyError(`the receiver sent a reply line of over ${MAX_LINE_BYTES} bytes with no line end (${describe(this.pending)})`);
    }
    return replies;
  }

  /** Bytes read but not yet a whole reply: what a receiver left unfinished when it closed. */
  get unfinished(): string {
    return [...this.lines, this.pending].filter(Boolean).join(' / ');
  }

  private onLine(line: string, size: number): Reply | undefined {
    this.replyBytes += size;
    if (this.replyBytes > MAX_REPLY_BYTES) throw new ReplyError(`the receiver sent a reply of over ${MAX_REPLY_BYTES} bytes`);
    const match = /^([2-5]\d\d)([ -]|$)(.*)$/.exec(line);
    if (!match) throw new ReplyError(`the receiver sent a line that is not an SMTP reply: ${describe(line)}`);
    const code = Number(match[1]);
    if (this.lines.length && code !== this.code) throw new ReplyError(`the receiver changed the code inside a reply (${this.code}, then ${code})`);
    this.code = code;
    this.lines.push(match[3]!);
    if (match[2] === '-') return undefined;
    const reply = { code, lines: this.lines };
    this.lines = [];
    this.replyBytes = 0;
    return reply;
  }

}

/** The first bytes of something unreadable, safe to print. */
function describe(text: string): string {
  const head = text.length > 60 ? `${text.slice(0, 60)}...` : text;
  return JSON.stringify(head);
}

export function formatReply(reply: Reply): string {
  return reply.lines.map((line, index) => `${reply.code}${index < reply.lines.length - 1 ? '-' : ' '}${line}`).join(' | ');
}
