// Hello extensions (RFC 5246 §7.4.1.4 and the RFCs that define each): their codes, the
// block both hellos carry, and the builders of the ones a client sends.
import { ALERT } from '../alerts.js';
import { AlertError } from './alert-error.js';
import { codes16, Cursor, u16, vector16, vector8 } from './wire.js';

export const ExtensionType = {
  ServerName: 0,
  SupportedGroups: 10,
  EcPointFormats: 11,
  SignatureAlgorithms: 13,
  ExtendedMasterSecret: 23,
  SessionTicket: 35,
  SupportedVersions: 43,
  KeyShare: 51,
  RenegotiationInfo: 0xff01,
} as const;

export type Extension = readonly [type: number, data: Buffer];

/** The extensions block, in the order given. */
export function encodeExtensions(extensions: readonly Extension[]): Buffer {
  return vector16(Buffer.concat(extensions.map(([type, data]) => Buffer.concat([u16(type), vector16(data)]))));
}

/** The optional extensions block at the end of a hello; a repeated type is illegal_parameter. */
export function readExtensions(cursor: Cursor, what: string): Map<number, Buffer> {
  const extensions = new Map<number, Buffer>();
  if (cursor.remaining === 0) return extensions;
  const block = new Cursor(cursor.vector16(), `${what} extensions`);
  while (block.remaining > 0) {
    const type = block.u16();
    if (extensions.has(type)) throw new AlertError(`${what} repeats extension ${type}`, ALERT.illegalParameter);
    extensions.set(type, Buffer.from(block.vector16()));
  }
  return extensions;
}

/** The extensions a client sends, ready for ClientHelloFields.extensions. */
export const clientExtension = {
  /** RFC 6066 §3: one host_name (never an IP address). */
  serverName: (name: string): Extension => [ExtensionType.ServerName, vector16(Buffer.concat([Buffer.of(0), vector16(Buffer.from(name, 'latin1'))]))],
  supportedGroups: (groups: readonly number[]): Extension => [ExtensionType.SupportedGroups, codes16(groups)],
  /** RFC 8422 §5.1.2: uncompressed points only. */
  ecPointFormats: (): Extension => [ExtensionType.EcPointFormats, vector8(Buffer.of(0))],
  signatureAlgorithms: (codes: readonly number[]): Extension => [ExtensionType.SignatureAlgorithms, codes16(codes)],
  supportedVersions: (versions: readonly number[]): Extension => [ExtensionType.SupportedVersions, vector8(Buffer.concat(versions.map(u16)))],
  /** Empty on an initial handshake (RFC 5746 §3.4). */
  renegotiationInfo: (verifyData: Buffer = Buffer.alloc(0)): Extension => [ExtensionType.RenegotiationInfo, vector8(verifyData)],
  extendedMasterSecret: (): Extension => [ExtensionType.ExtendedMasterSecret, Buffer.alloc(0)],
  keyShare: (shares: ReadonlyArray<readonly [group: number, key: Buffer]>): Extension => [
    ExtensionType.KeyShare,
    vector16(Buffer.concat(shares.map(([group, key]) => Buffer.concat([u16(group), vector16(key)])))),
  ],
};
