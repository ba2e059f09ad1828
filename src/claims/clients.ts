// The registry of client kinds (one file each in kinds/), and the command lines an admin
// or a developer pastes for one run of them. This is the one home of those command lines:
// `show` prints them, the README's matrix table is made from them, and the test suite
// runs exactly what `show` prints.
import type { ClientKind, CommandInvocation, EximInvocation, Invocation, MtaInvocation, PostfixInvocation, Target } from './kind.js';
import { shellWord } from './kind.js';
import { exim } from './kinds/exim.js';
import { mxConnect } from './kinds/mx-connect.js';
import { gnutls } from './kinds/gnutls.js';
import { nodemailer } from './kinds/nodemailer.js';
import { openssl } from './kinds/openssl.js';
import { postfix } from './kinds/postfix.js';
import { sendmail } from './kinds/sendmail.js';
import { smtplib } from './kinds/smtplib.js';
import { swaks } from './kinds/swaks.js';
import { EIGHT_BIT_HEADER, EIGHT_BIT_TEXT, FROM, HELO } from './transaction.js';

export type { ClientKind, CommandInvocation, EximInvocation, Invocation, MtaInvocation, PostfixInvocation, Target, TlsMode } from './kind.js';
export { shellWord } from './kind.js';
export { AUTH_SECRET, AUTH_USER, EIGHT_BIT_TEXT, FROM, HELO, TO } from './transaction.js';

export const CLIENT_KINDS = [openssl, gnutls, swaks, nodemailer, sendmail, smtplib, postfix, exim, mxConnect] as const;
export const CLIENT_NAMES = CLIENT_KINDS.map((kind) => kind.name) as ['openssl', 'gnutls', 'swaks', 'nodemailer', 'sendmail', 'smtplib', 'postfix', 'exim', 'mx-connect'];
export type ClientName = (typeof CLIENT_NAMES)[number];

export function clientKind(name: string): ClientKind | undefined {
  return CLIENT_KINDS.find((kind) => kind.name === name);
}

/** The command line to paste into a shell (and the one the suite runs with sh -c). */
export function commandLine(invocation: CommandInvocation): string {
  const command = invocation.argv.map(shellWord).join(' ');
  return invocation.stdin ? `${invocation.stdin} | ${command}` : `${command} </dev/null`;
}

/** The README recipe's sendmail, as an admin runs it: the access map, then one message or a queue run. */
export function sendmailLines(invocation: MtaInvocation): string[] {
  const lines: string[] = [];
  if (invocation.access.length) {
    const entries = invocation.access.map((entry) => entry.replace('\t', '\\t')).join('\\n');
    lines.push(`printf '${entries}\\n' > /tmp/sm/access && makemap hash /tmp/sm/access < /tmp/sm/access`);
  }
  const common = ['-v', '-Am', '-C', 'sendmail.cf', ...invocation.options];
  const sendmailArgs = invocation.queueRun ? [...common, '-q'] : [...common, '-ODeliveryMode=i', '-f', FROM, ...invocation.to];
  const inner = `hostname ${HELO}; exec sendmail ${sendmailArgs.map(shellWord).join(' ')}`;
  const message = invocation.bodyBytes
    ? `{ printf 'Subject: broken-mta\\n\\n'; head -c ${invocation.bodyBytes} /dev/zero | tr '\\0' x; }`
    : invocation.eightBit
      ? `printf '${[...EIGHT_BIT_HEADER, '', EIGHT_BIT_TEXT, ''].join('\\n')}'`
      : `printf 'Subject: broken-mta\\n\\nhello\\n'`;
  lines.push(invocation.queueRun ? `unshare -u sh -c ${shellWord(inner)}` : `${message} | unshare -u sh -c ${shellWord(inner)}`);
  return lines;
}

/** The message every MTA claim sends, as a shell command that prints it. */
function messageCommand(bodyBytes: number | undefined): string {
  return bodyBytes ? `{ printf 'Subject: broken-mta\\n\\n'; head -c ${bodyBytes} /dev/zero | tr '\\0' x; }` : `printf 'Subject: broken-mta\\n\\nhello\\n'`;
}

/** What an admin runs for the same test on their own Postfix: the settings, a reload, one message. */
export function postfixLines(invocation: PostfixInvocation): string[] {
  const lines: string[] = [];
  const settings = [`relayhost = ${invocation.nextHop}`, ...invocation.settings];
  if (invocation.policy) {
    lines.push(`printf '${invocation.nextHop} ${invocation.policy}\\n' > /etc/postfix/tls_policy && postmap /etc/postfix/tls_policy`);
    settings.push('smtp_tls_policy_maps = hash:/etc/postfix/tls_policy');
  }
  lines.push(`postconf -e ${settings.map(shellWord).join(' ')} && postfix reload`);
  lines.push(`${messageCommand(invocation.bodyBytes)} | sendmail -f ${FROM} ${invocation.to.join(' ')}`);
  return lines;
}

/** What an admin runs for the same test on Debian's Exim: the macros, the smarthost, one message tried at once. */
export function eximLines(invocation: EximInvocation): string[] {
  const lines: string[] = [];
  if (invocation.macros.length) lines.push(`printf '${invocation.macros.join('\\n')}\\n' >> /etc/exim4/exim4.conf.localmacros`);
  if (invocation.options.length) lines.push(`# in the remote_smtp_smarthost transport: ${invocation.options.join(', ')}`);
  lines.push(`sed -i "s/^dc_smarthost=.*/dc_smarthost='${invocation.smarthost}'/" /etc/exim4/update-exim4.conf.conf && update-exim4.conf`);
  lines.push(`${messageCommand(invocation.bodyBytes)} | exim4 -odq -f ${FROM} ${invocation.to.join(' ')} && exim4 -qff`);
  return lines;
}

export function invocationLines(invocation: Invocation): string[] {
  switch (invocation.kind) {
    case 'command':
      return [commandLine(invocation)];
    case 'sendmail':
      return sendmailLines(invocation);
    case 'postfix':
      return postfixLines(invocation);
    case 'exim':
      return eximLines(invocation);
  }
}

/** The target as the README and `--help` write commands: placeholders `matrix` fills in. */
export const PLACEHOLDERS: Target = {
  host: '{host}',
  port: '{port}',
  ca: '{ca}',
  hostname: 'mx.broken-mta.test',
  clientCert: '{cert}',
  clientKey: '{key}',
  retiredRoot: '{retired-root}',
  crl: '{crl}',
  resolver: '{resolver}',
};
