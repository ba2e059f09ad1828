// sendmail through the README's recipe: access map entries and -O options.
import { type ClientKind, opensslCipherList, recipients } from '../kind.js';

export const sendmail: ClientKind = {
  name: 'sendmail',
  program: 'sendmail',
  settings: ['tls', 'verify', 'securityLevel', 'ciphers', 'oldTrustStore', 'crl', 'fallback', 'queueRun', 'timeout', 'to', 'messageBytes', 'eightBit'],
  // Implicit TLS is a mailer setting of its own (smtps), not one message's.
  tlsModes: ['none', 'optional', 'required'],
  hasLog: true,
  invoke(settings, target, attempt) {
    const access: string[] = [];
    const options: string[] = [];
    if (settings.tls === 'none') access.push(`Try_TLS:${target.host}\tNO`);
    if (settings.tls === 'required') access.push(`TLS_Srv:${target.host}\tENCR:128`);
    if (settings.verify) access.push(`TLS_Srv:${target.host}\tVERIFY`);
    if (settings.fallback) options.push('-OTLSFallbacktoClear=true');
    const cipherList = opensslCipherList(settings);
    if (cipherList) options.push(`-OCipherList=${cipherList}`);
    if (settings.oldTrustStore) options.push(`-OCACertFile=${target.retiredRoot}`);
    if (settings.crl) options.push(`-OCRLFile=${target.crl}`);
    if (settings.timeout) {
      for (const stage of ['initial', 'helo', 'mail', 'rcpt', 'datainit', 'datablock', 'datafinal', 'starttls']) options.push(`-OTimeout.${stage}=${settings.timeout}s`);
    }
    return {
      kind: 'sendmail',
      access,
      options,
      to: recipients(settings),
      ...(settings.messageBytes ? { bodyBytes: settings.messageBytes } : {}),
      ...(settings.eightBit ? { eightBit: true } : {}),
      queueRun: Boolean(settings.queueRun) && attempt > 1,
      timeoutMs: 60_000,
    };
  },
};
