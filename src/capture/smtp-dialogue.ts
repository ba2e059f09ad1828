// The probe's side of an SMTP session, sans-IO: replies in, the next command and what was
// learnt out. It never sends MAIL, RCPT or DATA.
//
// The rules, all of them here:
// - greeting: 220 -> EHLO. Any other banner -> QUIT (the server refused us).
// - ehlo: 250 -> STARTTLS (unless told never to); the capabilities are kept. Any other -> HELO.
// - helo: 250 -> STARTTLS (unless told never to). Any other -> QUIT.
// - starttls: 220 -> 'tls': the connection is the TLS probe's from here. Any other -> QUIT.
// - quit: any reply -> 'done'. A QUIT is always sent when the dialogue ends short of TLS.
// STARTTLS is sent even when EHLO does not advertise it: what the command gets is a finding
// too (502, or a 220 that works after all).
import type { Reply } from '../smtp/reply-reader.js';

export type DialogueState = 'greeting' | 'ehlo' | 'helo' | 'starttls' | 'quit' | 'tls' | 'done';

export interface SmtpFindings {
  banner?: Reply;
  /** How long the banner took, from the connection. */
  bannerMs?: number;
  ehlo?: Reply;
  helo?: Reply;
  /** EHLO's keywords (every line after the first), in order. */
  capabilities: string[];
  starttlsAdvertised: boolean;
  starttls?: Reply;
  /** Plaintext that came with the 220 to STARTTLS (response injection). */
  injected?: string[];
}

export interface DialogueOptions {
  helo: string;
  starttls: boolean;
}

type Step = (reply: Reply, dialogue: SmtpDialogue) => DialogueState;

const TRANSITIONS: Readonly<Record<'greeting' | 'ehlo' | 'helo' | 'starttls' | 'quit', Step>> = {
  greeting: (reply, d) => (reply.code === 220 ? d.send('EHLO', 'ehlo') : d.send('QUIT', 'quit')),
  ehlo: (reply, d) => {
    if (reply.code !== 250) return d.send('HELO', 'helo');
    d.findings.capabilities = reply.lines.slice(1);
    d.findings.starttlsAdvertised = d.findings.capabilities.some((keyword) => keyword.toUpperCase() === 'STARTTLS');
    return d.afterHello();
  },
  helo: (reply, d) => (reply.code === 250 ? d.afterHello() : d.send('QUIT', 'quit')),
  starttls: (reply, d) => (reply.code === 220 ? 'tls' : d.send('QUIT', 'quit')),
  quit: () => 'done',
};

const RECORD: Partial<Record<DialogueState, 'banner' | 'ehlo' | 'helo' | 'starttls'>> = { greeting: 'banner', ehlo: 'ehlo', helo: 'helo', starttls: 'starttls' };

export class SmtpDialogue {
  state: DialogueState = 'greeting';
  readonly findings: SmtpFindings = { capabilities: [], starttlsAdvertised: false };
  private outgoing: string[] = [];

  constructor(private readonly options: DialogueOptions) {}

  /** One reply from the server; returns the command lines to send (CRLF-ended). */
  receive(reply: Reply): string {
    if (this.state === 'tls' || this.state === 'done') return '';
    const field = RECORD[this.state];
    if (field) this.findings[field] = reply;
    this.state = TRANSITIONS[this.state](reply, this);
    const out = this.outgoing.join('');
    this.outgoing = [];
    return out;
  }

  /** @internal for the transition table */
  send(command: 'EHLO' | 'HELO' | 'STARTTLS' | 'QUIT', next: DialogueState): DialogueState {
    this.outgoing.push(command === 'EHLO' || command === 'HELO' ? `${command} ${this.options.helo}\r\n` : `${command}\r\n`);
    return next;
  }

  /** @internal for the transition table */
  afterHello(): DialogueState {
    return this.options.starttls ? this.send('STARTTLS', 'starttls') : this.send('QUIT', 'quit');
  }
}
