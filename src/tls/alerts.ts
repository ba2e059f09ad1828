// TLS alerts (RFC 5246 §7.2, RFC 8446 §6): the one table, shared by the Node TLS path, the
// scripted engine, the faults, the scenario schema and the events, so an alert reads the
// same everywhere. Code uses the keys (ALERT.handshakeFailure); people read the RFC's
// names (handshake_failure), which are the keys spelled with underscores.

export const ALERT = {
  closeNotify: 0,
  unexpectedMessage: 10,
  badRecordMac: 20,
  decryptionFailed: 21,
  recordOverflow: 22,
  decompressionFailure: 30,
  handshakeFailure: 40,
  noCertificate: 41,
  badCertificate: 42,
  unsupportedCertificate: 43,
  certificateRevoked: 44,
  certificateExpired: 45,
  certificateUnknown: 46,
  illegalParameter: 47,
  unknownCa: 48,
  accessDenied: 49,
  decodeError: 50,
  decryptError: 51,
  exportRestriction: 60,
  protocolVersion: 70,
  insufficientSecurity: 71,
  internalError: 80,
  inappropriateFallback: 86,
  userCanceled: 90,
  noRenegotiation: 100,
  missingExtension: 109,
  unsupportedExtension: 110,
  unrecognizedName: 112,
  badCertificateStatusResponse: 113,
  unknownPskIdentity: 115,
  certificateRequired: 116,
  noApplicationProtocol: 120,
} as const;

const rfcName = (key: string): string => key.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);

const NAME_BY_CODE = new Map(Object.entries(ALERT).map(([key, code]) => [code as number, rfcName(key)]));
const CODE_BY_NAME = new Map([...NAME_BY_CODE].map(([code, name]) => [name, code]));

/** Every alert's RFC name, in the order of their numbers. */
export const ALERT_NAMES: readonly string[] = [...NAME_BY_CODE.values()];

export function alertName(code: number): string {
  return NAME_BY_CODE.get(code) ?? `unknown_alert_${code}`;
}

/** The number of an alert by its RFC name (handshake_failure -> 40); undefined for no such alert. */
export function alertCode(name: string): number | undefined {
  return CODE_BY_NAME.get(name);
}

export interface TlsAlert {
  code: number;
  name: string;
}

export function alert(code: number): TlsAlert {
  return { code, name: alertName(code) };
}

/** The number of an alert as a scenario file names it (alertSetting, in alert-setting.ts). */
export function alertNumber(value: number | string): number {
  if (typeof value === 'number') return value;
  const code = alertCode(value);
  if (code === undefined) throw new Error(`unknown alert ${value}`);
  return code;
}
