// Postfix through examples/postfix/run.sh: a policy entry and main.cf lines.
import { ALL_TLS_MODES, type ClientKind, domainOfHost, type PostfixInvocation, recipients } from '../kind.js';

const POSTFIX_POLICY = { none: 'none', optional: 'may', required: 'encrypt', implicit: 'encrypt' } as const;

export const postfix: ClientKind = {
  name: 'postfix',
  program: 'postfix',
  settings: ['tls', 'verify', 'timeout', 'to', 'messageBytes', 'mtaSts'],
  tlsModes: ALL_TLS_MODES,
  hasLog: true,
  logPrinter: 'examples/postfix/run.sh --to {host}:{port} /etc/postfix/main.cf',
  invoke(settings, target) {
    if (settings.mtaSts) return mtaStsInvocation(target.hostname);
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

/**
 * Postfix with Debian's postfix-mta-sts-resolver (mta-sts-daemon on 127.0.0.1:8461, its
 * package's default) as the TLS policy map, sending to the domain's MX as DNS names it.
 */
function mtaStsInvocation(hostname: string): PostfixInvocation {
  const domain = domainOfHost(hostname);
  return { kind: 'postfix', nextHop: domain, settings: [MTA_STS_POLICY_MAP], to: [`rcpt@${domain}`], timeoutMs: 60_000 };
}

export const MTA_STS_POLICY_MAP = 'smtp_tls_policy_maps = socketmap:inet:127.0.0.1:8461:postfix';
