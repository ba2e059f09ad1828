// TLS alert descriptions (RFC 5246 §7.2, RFC 8446 §6), shared by the Node TLS path,
// the scripted engine and the events, so an alert reads the same everywhere.
export const ALERT_NAMES: Readonly<Record<number, string>> = {
  0: 'close_notify',
  10: 'unexpected_message',
  20: 'bad_record_mac',
  21: 'decryption_failed',
  22: 'record_overflow',
  30: 'decompression_failure',
  40: 'handshake_failure',
  41: 'no_certificate',
  42: 'bad_certificate',
  43: 'unsupported_certificate',
  44: 'certificate_revoked',
  45: 'certificate_expired',
  46: 'certificate_unknown',
  47: 'illegal_parameter',
  48: 'unknown_ca',
  49: 'access_denied',
  50: 'decode_error',
  51: 'decrypt_error',
  60: 'export_restriction',
  70: 'protocol_version',
  71: 'insufficient_security',
  80: 'internal_error',
  86: 'inappropriate_fallback',
  90: 'user_canceled',
  100: 'no_renegotiation',
  109: 'missing_extension',
  110: 'unsupported_extension',
  112: 'unrecognized_name',
  113: 'bad_certificate_status_response',
  115: 'unknown_psk_identity',
  116: 'certificate_required',
  120: 'no_application_protocol',
};

export function alertName(code: number): string {
  return ALERT_NAMES[code] ?? `unknown_alert_${code}`;
}

export interface TlsAlert {
  code: number;
  name: string;
}

export function alert(code: number): TlsAlert {
  return { code, name: alertName(code) };
}

const CODE_BY_NAME = new Map(Object.entries(ALERT_NAMES).map(([code, name]) => [name, Number(code)]));

/** The number of an alert by its name (handshake_failure -> 40); undefined for no such alert. */
export function alertCode(name: string): number | undefined {
  return CODE_BY_NAME.get(name);
}
