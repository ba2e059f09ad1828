// The phase an SMTP session is in, and what moves it on: sans-IO, as h11's _state.py.
//
// The rules, all of them here:
// - A session is in one phase of its lifecycle's table. An event its phase's row does not
//   list leaves the phase as it is (and move() says so); nothing leaves `closing`.
// - greeting: from connect until the banner is out (a fault at CONNECT may hold it). A line
//   the client sends now is noted, not answered, as sendmail's greet_pause does.
// - commands, secure: SMTP, in plaintext or inside TLS; each command meets the faults at
//   its step before smtp-server runs it.
// - handshake: from `220 Ready to start TLS` (or from connect, with implicit TLS) until
//   the connection closes or the handshake is done; a fault at TLS may stand in for it.
//   Lines are plaintext sent after STARTTLS: dropped (RFC 3207 §4.2). Nothing can be
//   written here, so a session that must end here just ends, and says why.
// - closing: the server is stopping and a message was under way (it may finish; its reply
//   goes out, then 421), or the connection is gone.
// - STARTTLS sessions greet first and may then shake hands; implicit TLS (port 465) shakes
//   hands first and then greets, over TLS.

export type Phase = 'greeting' | 'commands' | 'handshake' | 'secure' | 'closing';
export type PhaseEvent = 'greeted' | 'starttls' | 'established' | 'stop' | 'closed';
export type Lifecycle = 'starttls' | 'implicit';

type Table = Readonly<Record<Phase, Partial<Record<PhaseEvent, Phase>>>>;

/** What each phase accepts, and the phase it leads to. */
const LIFECYCLES: Readonly<Record<Lifecycle, Table>> = {
  starttls: {
    greeting: { greeted: 'commands', closed: 'closing' },
    commands: { starttls: 'handshake', stop: 'closing', closed: 'closing' },
    handshake: { established: 'secure', closed: 'closing' },
    secure: { stop: 'closing', closed: 'closing' },
    closing: {},
  },
  implicit: {
    handshake: { established: 'greeting', closed: 'closing' },
    greeting: { greeted: 'secure', closed: 'closing' },
    commands: {},
    secure: { stop: 'closing', closed: 'closing' },
    closing: {},
  },
};

/** What happens to a command line the client sends, by phase. */
export const LINES: Readonly<Record<Phase, 'noted' | 'run' | 'dropped'>> = {
  greeting: 'noted',
  commands: 'run',
  handshake: 'dropped',
  secure: 'run',
  // Pipelined after a message that finishes while the server stops: answered until the 421.
  closing: 'run',
};

export class SessionPhase {
  private current: Phase;
  private readonly table: Table;

  constructor(lifecycle: Lifecycle) {
    this.table = LIFECYCLES[lifecycle];
    this.current = lifecycle === 'implicit' ? 'handshake' : 'greeting';
  }

  get now(): Phase {
    return this.current;
  }

  /** Moves on as the table says; false when the phase has no row for the event. */
  move(event: PhaseEvent): boolean {
    const next = this.table[this.current][event];
    if (next === undefined) return false;
    this.current = next;
    return true;
  }
}
