// SMTP replies in one place: how a scenario writes one ("450 4.2.0 Greylisted", or several
// lines with one code), how it is checked, parsed, and laid out on the wire and in the log.
/** A reply as a scenario file gives it: `"CODE text"`, or a list of such lines. */
export type ReplyText = string | readonly string[];

export interface Reply {
  code: number;
  /** The text of each line, without the code. */
  lines: string[];
}

/** A reply is written `CODE text`, with a code from 200 to 599; undefined when it is. */
export function replyProblem(reply: ReplyText): string | undefined {
  const raw = typeof reply === 'string' ? [reply] : reply;
  const code = raw[0]?.slice(0, 3);
  if (code === undefined) return 'a reply has at least one line';
  for (const line of raw) {
    if (!/^[2-5]\d\d( |$)/.test(line)) return `"${line}" is not an SMTP reply (a code from 200 to 599, a space, text)`;
    if (line.slice(0, 3) !== code) return `every line of a reply has the same code (${code})`;
    if (/[\r\n]/.test(line)) return 'a reply line holds no line break: give several lines as a list';
  }
  return undefined;
}

/** A reply that replySetting (reply-setting.ts) accepted, as its code and the text of each line. */
export function parseReply(reply: ReplyText): Reply {
  const raw = typeof reply === 'string' ? [reply] : reply;
  return { code: Number(raw[0]?.slice(0, 3)), lines: raw.map((line) => line.slice(4)) };
}

/** `250-first`, `250 last`: each line with its code, a dash on all but the last. */
export function replyLines(code: number, lines: readonly string[]): string[] {
  return lines.map((line, i) => `${code}${i < lines.length - 1 ? '-' : ' '}${line}`);
}

/** The reply as it goes on the wire (enhanced status codes are written into the text). */
export function formatReply(code: number, lines: readonly string[]): string {
  return replyLines(code, lines).map((line) => `${line}\r\n`).join('');
}
