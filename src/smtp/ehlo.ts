// The EHLO reply a session gives. smtp-server builds its own from its options; a scenario
// may replace the keywords (`smtp.ehlo`: exactly what a real server said), CHUNKING is
// added when the scenario takes BDAT, and STARTTLS is left out inside TLS (RFC 3207 §4.2)
// and once a fault has hidden it (hide-starttls), which also says what the command gets
// when a client sends it anyway.
import type { Scenario } from '../scenario/schema.js';
import type { Reply } from './reply.js';

type SmtpReplyData = string | string[];

/** What a server without TLS answers to STARTTLS (smtp-server's own words). */
export const NO_STARTTLS: Reply = { code: 502, lines: ['5.5.1 Error: command not implemented'] };

export class EhloReply {
  /** An EHLO is being answered: the next 250 with several lines is its reply. */
  private answering = false;
  private refusal: Reply | undefined;

  constructor(private readonly smtp: Scenario['smtp']) {}

  /** smtp-server is about to answer an EHLO. */
  answer(): void {
    this.answering = true;
  }

  /** From now on this session offers no STARTTLS, and refuses the command with `refusal`. */
  hideStartTls(refusal: Reply): void {
    this.refusal = refusal;
  }

  /** What STARTTLS gets in this session instead of the ready reply, if it was hidden. */
  get startTlsRefusal(): Reply | undefined {
    return this.refusal;
  }

  /** A reply's lines as they go out: the EHLO reply shaped, every other one as it is. */
  shape(code: number, data: SmtpReplyData | undefined, secure: boolean): SmtpReplyData | undefined {
    if (!this.answering || code !== 250 || !Array.isArray(data)) return data;
    this.answering = false;
    const [greeting = '', ...defaults] = data;
    const withoutStartTls = secure || this.refusal !== undefined;
    const keywords = (this.smtp.ehlo ?? defaults).filter((keyword) => !(withoutStartTls && /^STARTTLS$/i.test(keyword)));
    if (this.smtp.chunking && !keywords.some((keyword) => /^CHUNKING$/i.test(keyword))) keywords.push('CHUNKING');
    return [greeting, ...keywords];
  }
}

/** The SIZE the EHLO reply names, when a scenario's own keywords give one: what MAIL ... SIZE= is held to. */
export function advertisedSize(smtp: Scenario['smtp']): number | undefined {
  const keyword = smtp.ehlo?.find((line) => /^SIZE\s+\d+$/i.test(line));
  return keyword ? Number(keyword.split(/\s+/)[1]) : undefined;
}
