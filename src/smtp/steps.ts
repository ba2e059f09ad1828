// The points of a session where a fault can act, in scenario-file spelling: the one list
// the schema, the faults, the events and the SMTP layer all use.

export const STEPS = [
  'CONNECT', // before the greeting
  'EHLO',
  'HELO',
  'AUTH',
  'END-OF-AUTH', // the verdict on the client's credentials, once the AUTH exchange has them
  'STARTTLS', // the reply to the STARTTLS command
  'TLS', // what follows `220 Ready to start TLS` instead of (or before) a handshake
  'MAIL',
  'RCPT',
  'DATA',
  'BDAT', // the reply to a BDAT chunk (RFC 3030), once its bytes are read
  'END-OF-DATA', // the reply to the message's end: the final `.`, or the BDAT LAST chunk
  'RSET',
  'NOOP',
  'VRFY',
  'QUIT',
] as const;
export type Step = (typeof STEPS)[number];

/** Every step but TLS: the ones answered with an SMTP reply. */
export const REPLY_STEPS = atLeastOne(STEPS.filter((step): step is Exclude<Step, 'TLS'> => step !== 'TLS'));

function atLeastOne<T>(items: readonly T[]): [T, ...T[]] {
  const [first, ...rest] = items;
  if (first === undefined) throw new Error('an empty list of steps');
  return [first, ...rest];
}

/** The step of each SMTP command a fault can act at (LHLO is LMTP's EHLO). */
const COMMAND_STEPS: ReadonlyMap<string, Step> = new Map([
  ['EHLO', 'EHLO'],
  ['LHLO', 'EHLO'],
  ['HELO', 'HELO'],
  ['AUTH', 'AUTH'],
  ['STARTTLS', 'STARTTLS'],
  ['MAIL', 'MAIL'],
  ['RCPT', 'RCPT'],
  ['DATA', 'DATA'],
  ['RSET', 'RSET'],
  ['NOOP', 'NOOP'],
  ['VRFY', 'VRFY'],
  ['QUIT', 'QUIT'],
]);

/** The step of a command, by its upper-case name; undefined for commands no fault acts at. */
export function stepOfCommand(name: string): Step | undefined {
  return COMMAND_STEPS.get(name);
}
