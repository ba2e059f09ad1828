// gnutls-cli: GnuTLS's view of the same handshakes, and optionally one message paced in.
import { pacedTransaction } from '../transaction.js';
import { type ClientKind, recipients, trustedRoot, withTimeout } from '../kind.js';

export const gnutls: ClientKind = {
  name: 'gnutls',
  program: 'gnutls-cli',
  // gnutls-cli always asks for a staple (requestStaple is its default), and fetches no CRL.
  settings: ['tls', 'verify', 'dhBits', 'priority', 'clientCert', 'sni', 'rsaOnly', 'oldTrustStore', 'crl', 'timeout', 'sendMail', 'to'],
  tlsModes: ['required', 'implicit'],
  hasLog: false,
  invoke(settings, target) {
    const argv = ['gnutls-cli', ...(settings.tls === 'implicit' ? [] : ['--starttls-proto=smtp']), '--port', target.port, '--x509cafile', trustedRoot(settings, target)];
    if (settings.verify === false) argv.push('--insecure');
    if (settings.dhBits) argv.push(`--dh-bits=${settings.dhBits}`);
    if (settings.priority) argv.push(`--priority=${settings.priority}`);
    if (settings.clientCert) argv.push('--x509certfile', target.clientCert, '--x509keyfile', target.clientKey);
    if (settings.sni !== undefined) argv.push(...(settings.sni ? ['--sni-hostname', target.hostname] : ['--disable-sni']));
    if (settings.rsaOnly) argv.push('--priority', 'NORMAL:-SIGN-ALL:+SIGN-RSA-SHA256:+SIGN-RSA-PSS-RSAE-SHA256');
    if (settings.crl) argv.push('--x509crlfile', target.crl);
    argv.push(target.host);
    return {
      kind: 'command',
      argv: withTimeout(settings, argv),
      ...(settings.sendMail ? { stdin: pacedTransaction(recipients(settings)) } : {}),
      timeoutMs: 15_000,
    };
  },
};
