// Postfix through examples/postfix/run.sh: a policy entry and main.cf lines.
import { ALL_TLS_MODES, type ClientKind, recipients } from '../kind.js';

const POSTFIX_POLICY = { none: 'none', optional: 'may', required: 'encrypt', implicit: 'encrypt' } as const;

export const postfix: ClientKind = {
  name: 'postfix',
  program: 'postfix',
  settings: ['tls', 'verify', 'timeout', 'to', 'messageBytes'],
  tlsModes: ALL_TLS_MODES,
  hasLog: true,
  logPrinter: 'examples/postfix/run.sh --to {host}:{port} /etc/postfix/main.cf',
  invoke(settings, target) {
    const nextHop = `[${target.host}]:${target.port}`;
    const level = settings.verify ? `verify match=${target.hostname}` : settings.tls && settings.tls !== 'optional' ? POSTFIX_POLICY[settings.tls] : undefined;
    const mainCf: string[] = [];
    if (settings.tls === 'implicit') mainCf.push('smtp_tls_wrappermode = yes');
    if (settings.timeout) {
      for (const stage of ['connect', 'helo', 'starttls', 'mail', 'rcpt', 'data_init', 'data_done']) mainCf.push(`smtp_${stage}_timeout = ${settings.timeout}s`);
    }
    return {
      kind: 'postfix',
      nextHop,
      ...(level ? { policy: level } : {}),
      settings: mainCf,
      to: recipients(settings),
      ...(settings.messageBytes ? { bodyBytes: settings.messageBytes } : {}),
      timeoutMs: 60_000,
    };
  },
};
