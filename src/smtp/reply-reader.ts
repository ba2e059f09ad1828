// SMTP replies from a peer we do not trust (RFC 5321 §4.2): bytes in, whole replies out,
// sans-IO. Every bound is checked as bytes arrive, so a peer that sends megabytes without
// a newline costs at most one line's worth of memory. Both of broken-mta's SMTP clients
// read replies with it: capture's probe and the broken sender.
import type { Reply } from './reply.js';

export type { Reply };

/** The peer is not speaking SMTP; the message says what it sent instead. */
export class NotSmtpError extends Error {}

const MAX_LINE = 4096;
const MAX_LINES = 200;

export class ReplyReader {
  private pending = '';
  private lines: string[] = [];
  private code: number | undefined;

  /** Replies completed by these bytes. Throws NotSmtpError on anything that is not a reply. */
  push(bytes: Buffer): Reply[] {
    this.pending += bytes.toString('latin1');
    const replies: Reply[] = [];
    let newline: number;
    while ((newline = this.pending.indexOf('\n')) >= 0) {
      const line = this.pending.slice(0, newline).replace(/\r$/, '');
      this.pending = this.pending.slice(newline + 1);
      const reply = this.line(line);
      if (reply) replies.push(reply);
    }
    if (this.pending.length > MAX_LINE) throw new NotSmtpError(`a line of over ${MAX_LINE} bytes without a newline (${quote(this.pending)})`);
    return replies;
  }

  /** What came after the last complete reply (plaintext a server sent unasked). */
  takeRest(): string {
    const rest = [...this.lines.map((text) => `${this.code}-${text}`), this.pending].filter(Boolean).join('\r\n');
    this.pending = '';
    this.lines = [];
    this.code = undefined;
    return rest;
  }

  private line(line: string): Reply | undefined {
    const match = /^([2-5]\d\d)([ -]|$)(.*)$/.exec(line);
    if (!match) throw new NotSmtpError(`a line that is not an SMTP reply: ${quote(line)}`);
    const code = Number(match[1]);
    if (this.code !== undefined && code !== this.code) throw new NotSmtpError(`a reply whose lines change code (${this.code}, then ${code})`);
    this.code = code;
    this.lines.push(match[3]!);
    if (this.lines.length > MAX_LINES) throw new NotSmtpError(`a reply of over ${MAX_LINES} lines`);
    if (match[2] === '-') return undefined;
    const reply = { code, lines: this.lines };
    this.lines = [];
    this.code = undefined;
    return reply;
  }
}

export function quote(text: string, max = 60): string {
  const printable = text.replace(/[^\x20-\x7e]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
  return `"${printable.length > max ? `${printable.slice(0, max)}...` : printable}"`;
}

export const replyText = (reply: Reply): string => reply.lines.map((line, index) => `${reply.code}${index === reply.lines.length - 1 ? ' ' : '-'}${line}`).join('\r\n');
