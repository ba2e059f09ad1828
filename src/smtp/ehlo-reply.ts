// What a session's EHLO reply offers: the scenario's own keywords (smtp.ehlo) in place of
// smtp-server's, and no STARTTLS once a fault has hidden it (hide-starttls), which also
// says what the command gets when a client sends it anyway.
import type { Reply } from './reply.js';

type SmtpReplyData = string | string[];

/** What a server without TLS answers to STARTTLS (smtp-server's own words). */
export const NO_STARTTLS: Reply = { code: 502, lines: ['5.5.1 Error: command not implemented'] };

export class EhloReply {
  /** An EHLO is being answered: the next 250 with several lines is its reply. */
  private answering = false;
  private refusal: Reply | undefined;

  constructor(private readonly keywords: readonly string[] | undefined) {}

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
  shape(code: number, data: SmtpReplyData | undefined): SmtpReplyData | undefined {
    if (!this.answering || code !== 250 || !Array.isArray(data)) return data;
    this.answering = false;
    const lines = this.keywords ? [data[0]!, ...this.keywords] : data;
    return this.refusal ? lines.filter((line) => line.toUpperCase() !== 'STARTTLS') : lines;
  }
}
