// Handshake messages (RFC 5246 §7.4): reassembly from records, and both sides' codecs: the
// ClientHello parser and the server's builders (what the engine serves), the ClientHello
// builder and the server flight's parsers (what a probe or a scripted client reads).
// Parsing never throws anything but AlertError.
import { ALERT } from '../alerts.js';
import { AlertError } from './alert-error.js';
import { encodeExtensions, ExtensionType, readExtensions, type Extension } from './extensions.js';
import { RENEGOTIATION_SCSV, VERSION_CODES } from './suites.js';
import { codes16, Cursor, u16, vector16, vector24, vector8 } from './wire.js';

export { clientExtension, ExtensionType, type Extension } from './extensions.js';

export const HandshakeType = {
  HelloRequest: 0,
  ClientHello: 1,
  ServerHello: 2,
  Certificate: 11,
  ServerKeyExchange: 12,
  CertificateRequest: 13,
  ServerHelloDone: 14,
  CertificateVerify: 15,
  ClientKeyExchange: 16,
  Finished: 20,
} as const;

export interface HandshakeMessage {
  type: number;
  body: Buffer;
  /** Header and body, as the transcript hashes them. */
  raw: Buffer;
}

/** RFC 5246 allows 2^24-byte messages; no hello needs more than this. */
const MAX_HANDSHAKE_MESSAGE = 65536;

/** Handshake messages may be split across records or share one. */
export class HandshakeReader {
  private pending: Buffer = Buffer.alloc(0);

  push(fragment: Buffer): HandshakeMessage[] {
    this.pending = this.pending.length ? Buffer.concat([this.pending, fragment]) : fragment;
    const messages: HandshakeMessage[] = [];
    while (this.pending.length >= 4) {
      const length = this.pending.readUIntBE(1, 3);
      if (length > MAX_HANDSHAKE_MESSAGE) throw new AlertError(`handshake message of ${length} bytes is over the limit`, ALERT.internalError);
      if (this.pending.length < 4 + length) break;
      const raw = Buffer.from(this.pending.subarray(0, 4 + length));
      messages.push({ type: raw[0]!, body: raw.subarray(4), raw });
      this.pending = this.pending.subarray(4 + length);
    }
    return messages;
  }

  get empty(): boolean {
    return this.pending.length === 0;
  }
}

export function encodeHandshake(type: number, body: Buffer): Buffer {
  const header = Buffer.alloc(4);
  header[0] = type;
  header.writeUIntBE(body.length, 1, 3);
  return Buffer.concat([header, body]);
}

export interface ClientHello {
  version: number;
  random: Buffer;
  sessionId: Buffer;
  cipherSuites: number[];
  compressionMethods: number[];
  extensions: Map<number, Buffer>;
  serverName?: string;
  /** From supported_versions, when the client sent it (TLS 1.3 clients). */
  supportedVersions?: number[];
  /** From signature_algorithms, as (hash << 8 | signature) codes. */
  signatureAlgorithms?: number[];
  /** renegotiation_info's content, or the SCSV's empty one. */
  renegotiationInfo?: Buffer;
  extendedMasterSecret: boolean;
}

const isGrease = (value: number) => (value & 0x0f0f) === 0x0a0a && value >> 8 === (value & 0xff);

export function parseClientHello(body: Buffer): ClientHello {
  const cursor = new Cursor(body, 'ClientHello');
  const version = cursor.u16();
  const random = Buffer.from(cursor.take(32));
  const sessionId = Buffer.from(cursor.vector8());
  if (sessionId.length > 32) throw new AlertError('ClientHello session id is over 32 bytes', ALERT.illegalParameter);
  const suites = cursor.vector16();
  if (suites.length % 2 || suites.length === 0) throw new AlertError('ClientHello cipher suites are malformed', ALERT.decodeError);
  const cipherSuites: number[] = [];
  for (let i = 0; i < suites.length; i += 2) cipherSuites.push(suites.readUInt16BE(i));
  const compressionMethods = [...cursor.vector8()];
  if (!compressionMethods.includes(0)) throw new AlertError('ClientHello does not offer the null compression method', ALERT.illegalParameter);
  const extensions = readExtensions(cursor, 'ClientHello');
  cursor.end();
  const hello: ClientHello = { version, random, sessionId, cipherSuites, compressionMethods, extensions, extendedMasterSecret: extensions.has(ExtensionType.ExtendedMasterSecret) };

  const sni = extensions.get(ExtensionType.ServerName);
  if (sni?.length) {
    const list = new Cursor(new Cursor(sni, 'server_name').vector16(), 'server_name list');
    while (list.remaining > 0) {
      const kind = list.u8();
      const name = list.vector16();
      if (kind === 0) hello.serverName = name.toString('latin1');
    }
  }
  const versions = extensions.get(ExtensionType.SupportedVersions);
  if (versions) {
    const list = new Cursor(versions, 'supported_versions').vector8();
    hello.supportedVersions = [];
    for (let i = 0; i + 1 < list.length; i += 2) {
      const code = list.readUInt16BE(i);
      if (!isGrease(code)) hello.supportedVersions.push(code);
    }
  }
  const algorithms = extensions.get(ExtensionType.SignatureAlgorithms);
  if (algorithms) {
    const list = new Cursor(algorithms, 'signature_algorithms').vector16();
    hello.signatureAlgorithms = [];
    for (let i = 0; i + 1 < list.length; i += 2) hello.signatureAlgorithms.push(list.readUInt16BE(i));
  }
  const renegotiation = extensions.get(ExtensionType.RenegotiationInfo);
  if (renegotiation) hello.renegotiationInfo = new Cursor(renegotiation, 'renegotiation_info').vector8();
  else if (cipherSuites.includes(RENEGOTIATION_SCSV)) hello.renegotiationInfo = Buffer.alloc(0);
  return hello;
}

export interface ServerHelloFields {
  version: number;
  random: Buffer;
  suite: number;
  extensions: Array<[number, Buffer]>;
}

export function serverHello({ version, random, suite, extensions }: ServerHelloFields): Buffer {
  const encodedExtensions = extensions.map(([type, data]) => Buffer.concat([u16(type), vector16(data)]));
  return encodeHandshake(
    HandshakeType.ServerHello,
    Buffer.concat([
      u16(version),
      random,
      vector8(Buffer.alloc(0)), // no session id: the engine never resumes
      u16(suite),
      Buffer.of(0),
      ...(encodedExtensions.length ? [vector16(Buffer.concat(encodedExtensions))] : []),
    ]),
  );
}

export function certificateMessage(chain: readonly Buffer[]): Buffer {
  return encodeHandshake(HandshakeType.Certificate, vector24(Buffer.concat(chain.map(vector24))));
}

/** ServerDHParams: p, g, Ys, each a 16-bit-length vector. */
export function dhParams(p: Buffer, g: Buffer, ys: Buffer): Buffer {
  return Buffer.concat([vector16(p), vector16(g), vector16(ys)]);
}

/** The signature is prefixed with its algorithm from TLS 1.2 on. */
export function serverKeyExchange(params: Buffer, signature: Buffer, algorithm: number | undefined): Buffer {
  return encodeHandshake(
    HandshakeType.ServerKeyExchange,
    Buffer.concat([params, ...(algorithm === undefined ? [] : [u16(algorithm)]), vector16(signature)]),
  );
}

export const serverHelloDone = (): Buffer => encodeHandshake(HandshakeType.ServerHelloDone, Buffer.alloc(0));

export const finished = (verifyData: Buffer): Buffer => encodeHandshake(HandshakeType.Finished, verifyData);

/** ClientKeyExchange for DHE: the client's public value Yc. */
export function parseClientDhPublic(body: Buffer): Buffer {
  const cursor = new Cursor(body, 'ClientKeyExchange');
  const yc = cursor.vector16();
  if (cursor.remaining > 0 || yc.length === 0) throw new AlertError('ClientKeyExchange is malformed', ALERT.decodeError);
  return yc;
}

/** ClientKeyExchange for static RSA (TLS 1.0 on): the encrypted premaster secret, with its length. */
export function parseEncryptedPremaster(body: Buffer): Buffer {
  const cursor = new Cursor(body, 'ClientKeyExchange');
  const encrypted = cursor.vector16();
  if (cursor.remaining > 0 || encrypted.length === 0) throw new AlertError('ClientKeyExchange is malformed', ALERT.decodeError);
  return encrypted;
}

// --- the client's side: its hello out, the server's flight in -------------------------

export interface ClientHelloFields {
  /** client_version: the highest version offered (0x0300 for an SSLv3 hello; 0x0303 with supported_versions for TLS 1.3). */
  version: number;
  random: Buffer;
  sessionId?: Buffer;
  /** In the client's order of preference; add RENEGOTIATION_SCSV here to signal RFC 5746 without the extension. */
  cipherSuites: readonly number[];
  compressionMethods?: readonly number[];
  /** Sent in this order. Undefined leaves the extensions block out, as SSLv3 hellos do; [] sends an empty one. */
  extensions?: readonly Extension[];
}

export function clientHello({ version, random, sessionId = Buffer.alloc(0), cipherSuites, compressionMethods = [0], extensions }: ClientHelloFields): Buffer {
  return encodeHandshake(
    HandshakeType.ClientHello,
    Buffer.concat([
      u16(version),
      random,
      vector8(sessionId),
      codes16(cipherSuites),
      vector8(Buffer.from(compressionMethods)),
      ...(extensions ? [encodeExtensions(extensions)] : []),
    ]),
  );
}

export interface ServerHello {
  /** server_version as sent (0x0303 for TLS 1.3, which says itself in supported_versions). */
  version: number;
  random: Buffer;
  sessionId: Buffer;
  cipherSuite: number;
  compressionMethod: number;
  /** In the order sent. */
  extensions: Map<number, Buffer>;
  /** From supported_versions: the version a TLS 1.3 server chose. */
  selectedVersion?: number;
  /** renegotiation_info's content; undefined when the server left it out. */
  renegotiationInfo?: Buffer;
  extendedMasterSecret: boolean;
  /** RFC 8446 §4.1.3: a HelloRetryRequest is a ServerHello with this random. */
  helloRetryRequest: boolean;
}

const HELLO_RETRY_RANDOM = Buffer.from('cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c', 'hex');

export function parseServerHello(body: Buffer): ServerHello {
  const cursor = new Cursor(body, 'ServerHello');
  const version = cursor.u16();
  const random = Buffer.from(cursor.take(32));
  const sessionId = Buffer.from(cursor.vector8());
  if (sessionId.length > 32) throw new AlertError('ServerHello session id is over 32 bytes', ALERT.illegalParameter);
  const cipherSuite = cursor.u16();
  const compressionMethod = cursor.u8();
  const extensions = readExtensions(cursor, 'ServerHello');
  cursor.end();
  const hello: ServerHello = {
    version,
    random,
    sessionId,
    cipherSuite,
    compressionMethod,
    extensions,
    extendedMasterSecret: extensions.has(ExtensionType.ExtendedMasterSecret),
    helloRetryRequest: random.equals(HELLO_RETRY_RANDOM),
  };
  const selected = extensions.get(ExtensionType.SupportedVersions);
  if (selected) {
    const reader = new Cursor(selected, 'supported_versions');
    hello.selectedVersion = reader.u16();
    reader.end();
  }
  const renegotiation = extensions.get(ExtensionType.RenegotiationInfo);
  if (renegotiation) {
    const reader = new Cursor(renegotiation, 'renegotiation_info');
    hello.renegotiationInfo = Buffer.from(reader.vector8());
    reader.end();
  }
  return hello;
}

/** Certificate (RFC 5246 §7.4.2): the DER certificates as sent, leaf first. */
export function parseCertificate(body: Buffer): Buffer[] {
  const outer = new Cursor(body, 'Certificate');
  const list = new Cursor(outer.vector24(), 'Certificate list');
  outer.end();
  const chain: Buffer[] = [];
  while (list.remaining > 0) {
    const der = list.vector24();
    if (der.length === 0) throw new AlertError('Certificate holds an empty certificate', ALERT.decodeError);
    chain.push(Buffer.from(der));
  }
  return chain;
}

interface SignedParams {
  /** The bytes the signature covers, after client_random + server_random. */
  params: Buffer;
  /** From TLS 1.2 on: (hash << 8 | signature), RFC 5246 §7.4.1.4.1. */
  signatureAlgorithm?: number;
  signature: Buffer;
}
export type ServerKeyExchange =
  | ({ kind: 'DHE'; p: Buffer; g: Buffer; publicValue: Buffer } & SignedParams)
  | ({ kind: 'ECDHE'; namedCurve: number; publicValue: Buffer } & SignedParams);

/** The message's shape depends on the suite's key exchange and, for the signature, on the version. */
export function parseServerKeyExchange(body: Buffer, kind: 'DHE' | 'ECDHE', version: number): ServerKeyExchange {
  const cursor = new Cursor(body, 'ServerKeyExchange');
  let exchange: { kind: 'DHE'; p: Buffer; g: Buffer; publicValue: Buffer } | { kind: 'ECDHE'; namedCurve: number; publicValue: Buffer };
  if (kind === 'DHE') {
    const p = Buffer.from(cursor.vector16());
    const g = Buffer.from(cursor.vector16());
    const publicValue = Buffer.from(cursor.vector16());
    if (!p.length || !g.length || !publicValue.length) throw new AlertError('ServerKeyExchange has an empty DH value', ALERT.decodeError);
    exchange = { kind, p, g, publicValue };
  } else {
    // RFC 8422 §5.4: only named curves (curve_type 3) are still allowed.
    const curveType = cursor.u8();
    if (curveType !== 3) throw new AlertError(`ServerKeyExchange curve type ${curveType} is not named_curve`, ALERT.illegalParameter);
    const namedCurve = cursor.u16();
    exchange = { kind, namedCurve, publicValue: Buffer.from(cursor.vector8()) };
  }
  const params = Buffer.from(body.subarray(0, body.length - cursor.remaining));
  const signatureAlgorithm = version >= VERSION_CODES['TLSv1.2'] ? cursor.u16() : undefined;
  const signature = Buffer.from(cursor.vector16());
  cursor.end();
  return { ...exchange, params, ...(signatureAlgorithm === undefined ? {} : { signatureAlgorithm }), signature } as ServerKeyExchange;
}

export interface CertificateRequest {
  certificateTypes: number[];
  /** TLS 1.2 only. */
  signatureAlgorithms?: number[];
  /** DER distinguished names of the CAs the server accepts. */
  authorities: Buffer[];
}

export function parseCertificateRequest(body: Buffer, version: number): CertificateRequest {
  const cursor = new Cursor(body, 'CertificateRequest');
  const certificateTypes = [...cursor.vector8()];
  const signatureAlgorithms = version >= VERSION_CODES['TLSv1.2'] ? cursor.codes(cursor.vector16()) : undefined;
  const names = new Cursor(cursor.vector16(), 'CertificateRequest authorities');
  cursor.end();
  const authorities: Buffer[] = [];
  while (names.remaining > 0) authorities.push(Buffer.from(names.vector16()));
  return { certificateTypes, ...(signatureAlgorithms ? { signatureAlgorithms } : {}), authorities };
}

export function parseServerHelloDone(body: Buffer): void {
  if (body.length) throw new AlertError('ServerHelloDone is not empty', ALERT.decodeError);
}

export interface AlertMessage {
  level: number;
  description: number;
  fatal: boolean;
}

/** An alert record's content (RFC 5246 §7.2): level and description. */
export function parseAlert(fragment: Buffer): AlertMessage {
  if (fragment.length !== 2) throw new AlertError('malformed alert', ALERT.decodeError);
  return { level: fragment[0]!, description: fragment[1]!, fatal: fragment[0] === 2 };
}

export const alertMessage = (description: number, fatal = true): Buffer => Buffer.of(fatal ? 2 : 1, description);
