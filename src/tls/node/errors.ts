// OpenSSL names a received alert in the error code (ERR_SSL_SSLV3_ALERT_CERTIFICATE_EXPIRED,
// ERR_SSL_TLSV1_ALERT_UNKNOWN_CA, ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED): that is the
// only place Node exposes the alert a client sent, so it is read back from there.
import { alert, alertCode, type TlsAlert } from '../alerts.js';

export function alertFromOpenSslCode(code: string | undefined): TlsAlert | undefined {
  const match = /^ERR_SSL_(?:SSLV3|TLSV1|TLSV13)_ALERT_(.+)$/.exec(code ?? '');
  if (!match) return undefined;
  const number = alertCode(match[1]!.toLowerCase());
  return number === undefined ? undefined : alert(number);
}

/**
 * Errors on the server's own side that OpenSSL answers with an alert of its own: the
 * events say which, as they do for the scripted engine's refusals.
 */
const SERVER_ALERTS: Readonly<Record<string, number>> = {
  ERR_SSL_UNSUPPORTED_PROTOCOL: 70, // no version in common: protocol_version
  ERR_SSL_NO_SHARED_CIPHER: 40, // handshake_failure
  ERR_SSL_NO_SUITABLE_SIGNATURE_ALGORITHM: 40, // handshake_failure: the client accepts no signature the key can make
};

export function serverAlertFromOpenSslCode(code: string | undefined): TlsAlert | undefined {
  const number = SERVER_ALERTS[code ?? ''];
  return number === undefined ? undefined : alert(number);
}
