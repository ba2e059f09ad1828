// openssl s_client: STARTTLS or implicit TLS, and optionally one message typed in.
import { smtpTransaction } from '../transaction.js';
import { type ClientKind, opensslCipherList, recipients, RSA_SIGNATURES, trustedRoot, withTimeout } from '../kind.js';

export const openssl: ClientKind = {
  name: 'openssl',
  program: 'openssl',
  settings: ['tls', 'verify', 'verifyHostname', 'securityLevel', 'version', 'ciphers', 'legacyRenegotiation', 'clientCert', 'sni', 'rsaOnly', 'verifyDepth', 'oldTrustStore', 'crl', 'requestStaple', 'timeout', 'sendMail', 'bdat', 'to'],
  // s_client speaks TLS or nothing: STARTTLS (its default) or implicit TLS.
  tlsModes: ['required', 'implicit'],
  hasLog: false,
  invoke(settings, target) {
    const argv = ['openssl', 's_client', ...(settings.tls === 'implicit' ? [] : ['-starttls', 'smtp']), '-crlf', '-connect', `${target.host}:${target.port}`, '-CAfile', trustedRoot(settings, target)];
    if (settings.verify) argv.push('-verify_return_error');
    if (settings.verifyHostname) argv.push('-verify_hostname', target.hostname);
    const cipherList = opensslCipherList(settings);
    if (cipherList) argv.push('-cipher', cipherList);
    if (settings.version) argv.push({ TLSv1: '-tls1', 'TLSv1.1': '-tls1_1', 'TLSv1.2': '-tls1_2', 'TLSv1.3': '-tls1_3' }[settings.version]);
    if (settings.legacyRenegotiation) argv.push('-legacy_server_connect');
    if (settings.clientCert) argv.push('-cert', target.clientCert, '-key', target.clientKey);
    if (settings.sni !== undefined) argv.push(...(settings.sni ? ['-servername', target.hostname] : ['-noservername']));
    if (settings.rsaOnly) argv.push('-sigalgs', RSA_SIGNATURES.join(':'));
    if (settings.verifyDepth !== undefined) argv.push('-verify_depth', String(settings.verifyDepth));
    // s_client fetches the CRL from the distribution point itself.
    if (settings.crl) argv.push('-crl_check', '-crl_download');
    if (settings.requestStaple) argv.push('-status');
    // -ign_eof: read the server's replies after the input ends, until it closes.
    const sendMail = settings.sendMail || settings.bdat;
    if (sendMail) argv.push('-ign_eof');
    return {
      kind: 'command',
      argv: withTimeout(settings, argv),
      ...(sendMail ? { stdin: smtpTransaction(recipients(settings), { bdat: settings.bdat }) } : {}),
      timeoutMs: 15_000,
    };
  },
};
