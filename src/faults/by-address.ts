// BadSMTP's idea: the client chooses the server's reply through the local part of an
// address, so one server and one client run can meet many replies. The grammar:
//
//   local-part = step code ["_" enhanced] ["+" anything]     (case does not matter)
//   step       = "mail" / "rcpt" / "data" / "dot" / "quit"
//   code       = a reply code from 200 to 599
//   enhanced   = class "." subject "." detail (RFC 3463), its class the code's first digit
//
// `mail` is read from the sender at MAIL; `rcpt` from each recipient at its RCPT; `data`
// and `dot` (the reply to the final `.`, END-OF-DATA) from the recipients of the
// transaction; `quit` from those of the last transaction. A local part that begins with a
// step and a digit (or `_`) and does not follow the grammar is refused with 501 where it is
// given; any other address is an ordinary one.
import { addressOf } from './when.js';
import { defineFault, type FaultOutcome, type FaultTarget } from './fault.js';

type Word = 'mail' | 'rcpt' | 'data' | 'dot' | 'quit';
export interface Directive {
  word: Word;
  code: number;
  enhanced?: string;
}

const WORDS: Readonly<Record<Word, FaultTarget['step']>> = { mail: 'MAIL', rcpt: 'RCPT', data: 'DATA', dot: 'END-OF-DATA', quit: 'QUIT' };
const LOOKS_LIKE_ONE = /^(mail|rcpt|data|dot|quit)[\d_]/i;
const DIRECTIVE = /^(mail|rcpt|data|dot|quit)([2-5]\d\d)(?:_([2-5])\.(\d{1,3})\.(\d{1,3}))?(?:\+.*)?$/i;

/** RFC 5321's own words for each reply (§4.2.2, §4.2.3). */
const TEXTS: Readonly<Record<number, string>> = {
  221: 'Service closing transmission channel',
  250: 'Requested mail action okay, completed',
  251: 'User not local; will forward',
  354: 'Start mail input; end with <CRLF>.<CRLF>',
  421: 'Service not available, closing transmission channel',
  450: 'Requested mail action not taken: mailbox unavailable',
  451: 'Requested action aborted: local error in processing',
  452: 'Requested action not taken: insufficient system storage',
  455: 'Server unable to accommodate parameters',
  500: 'Syntax error, command unrecognized',
  501: 'Syntax error in parameters or arguments',
  502: 'Command not implemented',
  503: 'Bad sequence of commands',
  550: 'Requested action not taken: mailbox unavailable',
  551: 'User not local',
  552: 'Requested mail action aborted: exceeded storage allocation',
  553: 'Requested action not taken: mailbox name not allowed',
  554: 'Transaction failed',
  555: 'MAIL FROM/RCPT TO parameters not recognized or not implemented',
};

/** The directive an address carries: undefined for an ordinary address, an error for a bad form. */
export function directiveOf(address: string): Directive | { error: string } | undefined {
  const at = address.lastIndexOf('@');
  const local = at >= 0 ? address.slice(0, at) : address;
  if (!LOOKS_LIKE_ONE.test(local)) return undefined;
  const match = DIRECTIVE.exec(local);
  if (!match || (match[3] !== undefined && match[3] !== match[2]![0])) {
    return { error: `"${local}" is not a by-address directive: write STEP CODE[_X.Y.Z], as rcpt550_5.1.1 (STEP: mail, rcpt, data, dot or quit)` };
  }
  const [, word, code, ...enhanced] = match;
  return { word: word!.toLowerCase() as Word, code: Number(code), ...(match[3] ? { enhanced: enhanced.join('.') } : {}) };
}

export function replyOf(directive: Directive): { code: number; text: string } {
  const text = TEXTS[directive.code] ?? 'Reply chosen by the address';
  return { code: directive.code, text: directive.enhanced ? `${directive.enhanced} ${text}` : text };
}

/** The addresses a step reads its directive from. */
function addressesAt(target: FaultTarget): readonly string[] {
  return target.step === 'MAIL' || target.step === 'RCPT' ? [addressOf(target.argument)] : target.recipients();
}

function answer(target: FaultTarget): FaultOutcome {
  for (const address of addressesAt(target)) {
    const directive = directiveOf(address);
    if (directive && 'error' in directive && (target.step === 'MAIL' || target.step === 'RCPT')) {
      target.reply(501, [`${target.step === 'MAIL' ? '5.1.7' : '5.1.3'} ${directive.error}`]);
      return { handled: true, detail: `<${address}>: refused, ${directive.error}` };
    }
    if (!directive || 'error' in directive || WORDS[directive.word] !== target.step) continue;
    const { code, text } = replyOf(directive);
    target.reply(code, [text]);
    return { handled: true, detail: `<${address}> chose ${code} ${text}` };
  }
  return { handled: false, detail: 'no address chooses this reply: the normal one' };
}

export default defineFault({
  name: 'by-address',
  summary: 'Answer with the reply the local part of an address chooses (rcpt550_5.1.1@, data554@, quit421@ ...)',
  steps: ['MAIL', 'RCPT', 'DATA', 'END-OF-DATA', 'QUIT'],
  settings: {},
  apply: (target) => answer(target),
});
