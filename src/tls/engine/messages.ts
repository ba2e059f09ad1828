// Handshake messages (RFC 5246 §7.4): reassembly from records, the ClientHello parser and
// the builders of the server's messages. Parsing never throws anything but AlertError.
import { ALERT } from '../alerts.js';
import { AlertError } from './alert-error.js';
import { RENEGOTIATION_SCSV } from './suites.js';

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

export const ExtensionType = {
  ServerName: 0,
  SupportedGroups: 10,
  SignatureAlgorithms: 13,
  ExtendedMasterSecret: 23,
  SessionTicket: 35,
  SupportedVersions: 43,
  RenegotiationInfo: 0xff01,
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

/** A bounds-checked reader over a message body; every overrun is a decode_error (50). */
class Cursor {
  private offset = 0;
  constructor(
    private readonly bytes: Buffer,
    private readonly what: string,
  ) {}

  private need(n: number): void {
    if (this.offset + n > this.bytes.length) throw new AlertError(`${this.what} is truncated`, ALERT.decodeError);
  }
  u8(): number {
    this.need(1);
    return this.bytes[this.offset++]!;
  }
  u16(): number {
    this.need(2);
    const value = this.bytes.readUInt16BE(this.offset);
    this.offset += 2;
    return value;
  }
  take(n: number): Buffer {
    this.need(n);
    const slice = this.bytes.subarray(this.offset, this.offset + n);
    this.offset += n;
    return slice;
  }
  vector8(): Buffer {
    return this.take(this.u8());
  }
  vector16(): Buffer {
    return this.take(this.u16());
  }
  get remaining(): number {
    return this.bytes.length - this.offset;
  }
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
  const extensions = new Map<number, Buffer>();
  if (cursor.remaining > 0) {
    const block = new Cursor(cursor.vector16(), 'ClientHello extensions');
    while (block.remaining > 0) {
      const type = block.u16();
      if (extensions.has(type)) throw new AlertError(`ClientHello repeats extension ${type}`, ALERT.illegalParameter);
      extensions.set(type, Buffer.from(block.vector16()));
    }
  }
  if (cursor.remaining > 0) throw new AlertError('ClientHello has trailing bytes', ALERT.decodeError);
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

function vector8(bytes: Buffer): Buffer {
  return Buffer.concat([Buffer.of(bytes.length), bytes]);
}
function vector16(bytes: Buffer): Buffer {
  const length = Buffer.alloc(2);
  length.writeUInt16BE(bytes.length);
  return Buffer.concat([length, bytes]);
}
function vector24(bytes: Buffer): Buffer {
  const length = Buffer.alloc(3);
  length.writeUIntBE(bytes.length, 0, 3);
  return Buffer.concat([length, bytes]);
}
function u16(value: number): Buffer {
  const bytes = Buffer.alloc(2);
  bytes.writeUInt16BE(value);
  return bytes;
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
