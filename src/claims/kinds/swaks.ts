// swaks: the admin's Swiss Army knife, one message with every TLS mode.
import { AUTH_SECRET, AUTH_USER, EIGHT_BIT_TEXT, FROM } from '../transaction.js';
import { ALL_TLS_MODES, type ClientKind, recipients, trustedRoot } from '../kind.js';

const SWAKS_TLS = { none: [], optional: ['--tls-optional-strict'], required: ['--tls'], implicit: ['--tls-on-connect'] } as const;

export const swaks: ClientKind = {
  name: 'swaks',
  program: 'swaks',
  settings: ['tls', 'verify', 'ciphers', 'clientCert', 'sni', 'oldTrustStore', 'timeout', 'to', 'messageBytes', 'eightBit', 'auth'],
  tlsModes: ALL_TLS_MODES,
  hasLog: false,
  invoke(settings, target) {
    const tls = SWAKS_TLS[settings.tls ?? 'optional'];
    const auth = settings.auth ? ['--auth', ...(settings.auth === 'any' ? [] : [settings.auth]), '--auth-user', AUTH_USER, '--auth-password', AUTH_SECRET] : [];
    const argv = ['swaks', '--server', `${target.host}:${target.port}`, '--from', FROM, '--to', recipients(settings).join(','), ...tls];
    if (tls.length && settings.verify !== false) argv.push('--tls-verify', '--tls-ca-path', trustedRoot(settings, target));
    if (settings.ciphers) argv.push('--tls-cipher', settings.ciphers);
    if (settings.clientCert) argv.push('--tls-cert', target.clientCert, '--tls-key', target.clientKey);
    // swaks sends no SNI unless told a name.
    if (settings.sni) argv.push('--tls-sni', target.hostname);
    argv.push('--timeout', String(settings.timeout ?? 5));
    if (settings.messageBytes) argv.push('--body', '-');
    if (settings.eightBit) argv.push('--body', EIGHT_BIT_TEXT);
    argv.push(...auth);
    return {
      kind: 'command',
      argv,
      ...(settings.messageBytes ? { stdin: `head -c ${settings.messageBytes} /dev/zero | tr '\\0' x` } : {}),
      timeoutMs: 30_000 + (settings.timeout ?? 0) * 4000,
    };
  },
};
