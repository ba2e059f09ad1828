// The receiver settings of a claim (scenario/sender-claims.ts) in each receiving MTA's own
// configuration: what an admin would write, and what the tests set up. Sendmail's go into
// the access map (Srv_Features for the sender's address) and the .mc; Postfix and Exim
// bring their own translations when they run here.
import type { ReceiverSettings } from '../scenario/sender-claims.js';

export interface SendmailConfig {
  /** Access map lines, as text for makemap. */
  access: string;
  /** m4 lines for the .mc. */
  mc: string[];
}

/** Srv_Features letters: lower case turns a feature on, upper case off (sendmail's cf/README). */
const SRV_FEATURES: ReadonlyArray<[keyof ReceiverSettings, string]> = [
  ['starttls', 'S'],
  ['clientCertificate', 'V'],
  ['pipelining', 'n'],
  ['bareCr', 'U'],
];

export function sendmailConfig(settings: ReceiverSettings = {}, sender = '127.0.0.1'): SendmailConfig {
  const letters = SRV_FEATURES.filter(([setting]) => settings[setting] !== undefined).map(([, letter]) => letter);
  const mc: string[] = [];
  if (settings.greetPause) mc.push(`FEATURE(\`greet_pause', \`${settings.greetPause}')dnl`);
  if (settings.commandTimeout) mc.push(`define(\`confTO_COMMAND', \`${settings.commandTimeout}s')dnl`);
  if (settings.maxRecipients) mc.push(`define(\`confMAX_RCPTS_PER_MESSAGE', \`${settings.maxRecipients}')dnl`);
  if (settings.eightBit) mc.push("define(`confEIGHT_BIT_HANDLING', `strict')dnl");
  if (settings.nulBytes) mc.push("define(`confREJECT_NUL', `true')dnl");
  return { access: letters.length ? `Srv_Features:${sender}\t${letters.join(' ')}\n` : '', mc };
}

/** The configuration as an admin reads it on a page: one line each. */
export function sendmailConfigLines(settings: ReceiverSettings = {}): string[] {
  const { access, mc } = sendmailConfig(settings, 'the.senders.ip');
  return [...(access ? [`access map: ${access.trim().replace('\t', ' ')}`] : []), ...mc.map((line) => `sendmail.mc: ${line.replace(/dnl$/, '')}`)];
}
