// The receiver settings of a claim (scenario/sender-claims.ts) in each receiving MTA's own
// configuration: what an admin would write, and what the tests set up. Sendmail's go into
// the access map (Srv_Features for the sender's address) and the .mc; Postfix's into
// main.cf; Exim's are Debian's macros or main options (exim4.conf.localmacros). An intent
// a receiver has no setting for is an error: a claim cannot ask it of that receiver.
import type { ReceiverSettings } from '../scenario/sender-claims.js';

type Receiver = 'sendmail' | 'postfix' | 'exim';

export interface SendmailConfig {
  /** Access map lines, as text for makemap. */
  access: string;
  /** m4 lines for the .mc. */
  mc: string[];
}

/** Which settings each receiver can be given (the rest has no counterpart there). */
const SUPPORTED: Record<Receiver, ReadonlyArray<keyof ReceiverSettings>> = {
  sendmail: ['starttls', 'clientCertificate', 'pipelining', 'bareCr', 'greetPause', 'commandTimeout', 'maxRecipients', 'eightBit', 'nulBytes'],
  postfix: ['starttls', 'pipelining', 'commandTimeout', 'maxRecipients', 'eightBit', 'bareNewline'],
  exim: ['starttls', 'pipelining', 'greetPause', 'commandTimeout', 'maxRecipients'],
};

/** The settings `receiver` has no counterpart for (none: the claim can be run). */
export function unsupportedSettings(receiver: Receiver, settings: ReceiverSettings = {}): string[] {
  return (Object.keys(settings) as Array<keyof ReceiverSettings>).filter((key) => settings[key] !== undefined && !SUPPORTED[receiver].includes(key));
}

function assertSupported(receiver: Receiver, settings: ReceiverSettings): void {
  const missing = unsupportedSettings(receiver, settings);
  if (missing.length) throw new Error(`${receiver} has no setting for ${missing.join(', ')}`);
}

/** Srv_Features letters: lower case turns a feature on, upper case off (sendmail's cf/README). */
const SRV_FEATURES: ReadonlyArray<[keyof ReceiverSettings, string]> = [
  ['starttls', 'S'],
  ['clientCertificate', 'V'],
  ['pipelining', 'n'],
  ['bareCr', 'U'],
];

export function sendmailConfig(settings: ReceiverSettings = {}, sender = '127.0.0.1'): SendmailConfig {
  assertSupported('sendmail', settings);
  const letters = SRV_FEATURES.filter(([setting]) => settings[setting] !== undefined).map(([, letter]) => letter);
  const mc: string[] = [];
  if (settings.greetPause) mc.push(`FEATURE(\`greet_pause', \`${settings.greetPause}')dnl`);
  if (settings.commandTimeout) mc.push(`define(\`confTO_COMMAND', \`${settings.commandTimeout}s')dnl`);
  if (settings.maxRecipients) mc.push(`define(\`confMAX_RCPTS_PER_MESSAGE', \`${settings.maxRecipients}')dnl`);
  if (settings.eightBit) mc.push("define(`confEIGHT_BIT_HANDLING', `strict')dnl");
  if (settings.nulBytes) mc.push("define(`confREJECT_NUL', `true')dnl");
  return { access: letters.length ? `Srv_Features:${sender}\t${letters.join(' ')}\n` : '', mc };
}

/**
 * main.cf lines (`name = value`). Keywords a sender is not offered go through
 * smtpd_discard_ehlo_keyword_address_maps, looked up by its address; the bare-newline fix
 * (CVE-2023-51764) also needs the exclusions emptied, since they default to $mynetworks.
 */
export function postfixConfig(settings: ReceiverSettings = {}, sender = '127.0.0.1'): string[] {
  assertSupported('postfix', settings);
  const keywords = [...(settings.starttls ? ['starttls'] : []), ...(settings.pipelining ? ['pipelining'] : [])];
  return [
    ...(keywords.length ? [`smtpd_discard_ehlo_keyword_address_maps = inline:{ ${sender}=${keywords.join(' ')} }`] : []),
    ...(settings.pipelining ? ['smtpd_forbid_unauth_pipelining = yes'] : []),
    ...(settings.commandTimeout ? [`smtpd_timeout = ${settings.commandTimeout}s`] : []),
    ...(settings.maxRecipients ? [`smtpd_recipient_limit = ${settings.maxRecipients}`] : []),
    ...(settings.eightBit ? ['strict_8bitmime_body = yes'] : []),
    ...(settings.bareNewline ? ['smtpd_forbid_bare_newline = yes', 'smtpd_forbid_bare_newline_exclusions ='] : []),
  ];
}

/**
 * Exim options and Debian macros (`NAME = value`), as /etc/exim4/exim4.conf.localmacros
 * holds them. A greeting pause is a connect ACL with a delay, and no PIPECONNECT (4.96
 * offers it to every host, which lets a client talk before the greeting): Exim's
 * synchronization check then refuses a sender that talked first.
 */
export function eximConfig(settings: ReceiverSettings = {}, sender = '127.0.0.1'): string[] {
  assertSupported('exim', settings);
  return [
    ...(settings.starttls ? [`MAIN_TLS_ADVERTISE_HOSTS = ! ${sender} : *`] : []),
    ...(settings.pipelining ? [`pipelining_advertise_hosts = ! ${sender} : *`] : []),
    ...(settings.greetPause ? [`acl_smtp_connect = accept delay = ${Math.ceil(settings.greetPause / 1000)}s`, 'pipelining_connect_advertise_hosts ='] : []),
    ...(settings.commandTimeout ? [`smtp_receive_timeout = ${settings.commandTimeout}s`] : []),
    ...(settings.maxRecipients ? [`recipients_max = ${settings.maxRecipients}`] : []),
  ];
}

/** The configuration as an admin reads it on a page: one line each. */
export function receiverConfigLines(receiver: Receiver, settings: ReceiverSettings = {}): string[] {
  if (receiver === 'postfix') return postfixConfig(settings, 'the.senders.ip').map((line) => `main.cf: ${line}`);
  if (receiver === 'exim') return eximConfig(settings, 'the.senders.ip').map((line) => `exim4.conf.localmacros: ${line}`);
  const { access, mc } = sendmailConfig(settings, 'the.senders.ip');
  return [...(access ? [`access map: ${access.trim().replace('\t', ' ')}`] : []), ...mc.map((line) => `sendmail.mc: ${line.replace(/dnl$/, '')}`)];
}
