// OpenSSL names a received alert in the error code (ERR_SSL_SSLV3_ALERT_CERTIFICATE_EXPIRED,
// ERR_SSL_TLSV1_ALERT_UNKNOWN_CA, ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED): that is the
// only place Node exposes the alert a client sent, so it is read back from there.
import { ALERT, alert, alertCode, type TlsAlert } from '../alerts.js';

export function alertFromOpenSslCode(code: string | undefined): TlsAlert | undefined {
  const name = /^ERR_SSL_(?:SSLV3|TLSV1|TLSV13)_ALERT_(.+)$/.exec(code ?? '')?.[1];
  const number = name === undefined ? undefined : alertCode(name.toLowerCase());
  return number === undefined ? undefined : alert(number);
}

/**
 * Errors on the server's own side that OpenSSL answers with an alert of its own: the
 * events say which, as they do for the scripted engine's refusals.
 */
const SERVER_ALERTS: ReadonlyMap<string, number> = new Map([
  ['ERR_SSL_UNSUPPORTED_PROTOCOL', ALERT.protocolVersion], // no version in common
  ['ERR_SSL_NO_SHARED_CIPHER', ALERT.handshakeFailure],
]);

export function serverAlertFromOpenSslCode(code: string | undefined): TlsAlert | undefined {
  const number = SERVER_ALERTS.get(code ?? '');
  return number === undefined ? undefined : alert(number);
}
