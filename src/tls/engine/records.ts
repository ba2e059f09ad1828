// The TLS record layer (RFC 5246 §6.2): framing, and protection with the suites of suites.ts.
import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';
import { ALERT } from '../alerts.js';
import { AlertError } from './alert-error.js';
import { VERSION_CODES, type CipherSuite } from './suites.js';

export const ContentType = { ChangeCipherSpec: 20, Alert: 21, Handshake: 22, ApplicationData: 23 } as const;

export interface TlsRecord {
  type: number;
  version: number;
  fragment: Buffer;
}

/** RFC 5246 §6.2.3: a ciphertext may be at most 2^14 + 2048 bytes. */
export const MAX_CIPHERTEXT = 16384 + 2048;
export const MAX_PLAINTEXT = 16384;

/** Cuts a byte stream into records; keeps at most one partial record. */
export class RecordReader {
  private pending: Buffer = Buffer.alloc(0);

  push(bytes: Buffer): TlsRecord[] {
    this.pending = this.pending.length ? Buffer.concat([this.pending, bytes]) : bytes;
    const records: TlsRecord[] = [];
    while (this.pending.length >= 5) {
      const type = this.pending[0]!;
      const version = this.pending.readUInt16BE(1);
      const length = this.pending.readUInt16BE(3);
      if (type < 20 || type > 23) throw new AlertError(`not a TLS record (content type ${type})`, ALERT.unexpectedMessage);
      if (version >> 8 !== 3) throw new AlertError(`not a TLS record (version 0x${version.toString(16)})`, ALERT.protocolVersion);
      if (length > MAX_CIPHERTEXT) throw new AlertError(`record of ${length} bytes is over the limit`, ALERT.recordOverflow);
      if (this.pending.length < 5 + length) break;
      records.push({ type, version, fragment: this.pending.subarray(5, 5 + length) });
      this.pending = this.pending.subarray(5 + length);
    }
    return records;
  }
}

export function encodeRecord(type: number, version: number, fragment: Buffer): Buffer {
  const header = Buffer.alloc(5);
  header[0] = type;
  header.writeUInt16BE(version, 1);
  header.writeUInt16BE(fragment.length, 3);
  return Buffer.concat([header, fragment]);
}

/** One direction's keys and sequence number (RFC 5246 §6.1 connection state). */
export interface DirectionKeys {
  suite: CipherSuite;
  key: Buffer;
  macKey: Buffer;
  /** CBC: the IV of the next record under TLS 1.0; GCM: the 4-byte salt. */
  iv: Buffer;
}

function sequenceBytes(sequence: bigint): Buffer {
  const bytes = Buffer.alloc(8);
  bytes.writeBigUInt64BE(sequence);
  return bytes;
}

function additionalData(sequence: bigint, type: number, version: number, length: number): Buffer {
  const tail = Buffer.alloc(5);
  tail[0] = type;
  tail.writeUInt16BE(version, 1);
  tail.writeUInt16BE(length, 3);
  return Buffer.concat([sequenceBytes(sequence), tail]);
}

/**
 * Protects or opens the records of one direction. Before ChangeCipherSpec there are no
 * keys and records pass as they are.
 */
export class RecordProtection {
  private keys: DirectionKeys | undefined;
  private sequence = 0n;

  constructor(
    private readonly version: () => number,
    /** Where explicit CBC IVs come from: the engine's own source, so a test can fix it. */
    private readonly random: (length: number) => Buffer = randomBytes,
  ) {}

  get active(): boolean {
    return this.keys !== undefined;
  }

  activate(keys: DirectionKeys): void {
    this.keys = { ...keys, iv: Buffer.from(keys.iv) };
    this.sequence = 0n;
  }

  seal(type: number, plaintext: Buffer): Buffer {
    const version = this.version();
    const keys = this.keys;
    if (!keys) return encodeRecord(type, version, plaintext);
    const sequence = this.sequence++;
    const { suite } = keys;
    if (suite.mac === undefined) {
      const explicit = sequenceBytes(sequence);
      const cipher = createCipheriv(suite.cipher as 'aes-128-gcm', keys.key, Buffer.concat([keys.iv, explicit]));
      cipher.setAAD(additionalData(sequence, type, version, plaintext.length));
      const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
      return encodeRecord(type, version, Buffer.concat([explicit, body, cipher.getAuthTag()]));
    }
    const mac = createHmac(suite.mac, keys.macKey).update(additionalData(sequence, type, version, plaintext.length)).update(plaintext).digest();
    const unpadded = plaintext.length + mac.length;
    const padLength = 15 - (unpadded % 16);
    const padded = Buffer.concat([plaintext, mac, Buffer.alloc(padLength + 1, padLength)]);
    const explicitIv = version >= VERSION_CODES['TLSv1.1'];
    const iv = explicitIv ? this.random(16) : keys.iv;
    const cipher = createCipheriv(suite.cipher, keys.key, iv).setAutoPadding(false);
    const body = Buffer.concat([cipher.update(padded), cipher.final()]);
    // TLS 1.0 chains: the next record's IV is this record's last ciphertext block.
    if (!explicitIv) keys.iv = body.subarray(body.length - 16);
    return encodeRecord(type, version, explicitIv ? Buffer.concat([iv, body]) : body);
  }

  open(record: TlsRecord): Buffer {
    const keys = this.keys;
    if (!keys) return record.fragment;
    const sequence = this.sequence++;
    const { suite } = keys;
    const fragment = record.fragment;
    if (suite.mac === undefined) {
      if (fragment.length < 8 + 16) throw new AlertError('AEAD record too short', ALERT.badRecordMac);
      const explicit = fragment.subarray(0, 8);
      const tag = fragment.subarray(fragment.length - 16);
      const body = fragment.subarray(8, fragment.length - 16);
      const decipher = createDecipheriv(suite.cipher as 'aes-128-gcm', keys.key, Buffer.concat([keys.iv, explicit]));
      decipher.setAAD(additionalData(sequence, record.type, record.version, body.length));
      decipher.setAuthTag(tag);
      try {
        return Buffer.concat([decipher.update(body), decipher.final()]);
      } catch {
        throw new AlertError('record authentication failed (bad_record_mac)', ALERT.badRecordMac);
      }
    }
    const explicitIv = this.version() >= VERSION_CODES['TLSv1.1'];
    const iv = explicitIv ? fragment.subarray(0, 16) : keys.iv;
    const body = explicitIv ? fragment.subarray(16) : fragment;
    const { macLength } = suite;
    if (body.length === 0 || body.length % 16 !== 0 || body.length < macLength + 1) {
      throw new AlertError('CBC record of a bad length', ALERT.badRecordMac);
    }
    if (!explicitIv) keys.iv = Buffer.from(body.subarray(body.length - 16));
    const decipher = createDecipheriv(suite.cipher, keys.key, iv).setAutoPadding(false);
    const padded = Buffer.concat([decipher.update(body), decipher.final()]);
    const padLength = padded[padded.length - 1]!;
    const contentEnd = padded.length - padLength - 1 - macLength;
    let badPadding = contentEnd < 0;
    for (let i = padded.length - padLength - 1; !badPadding && i < padded.length; i++) badPadding = padded[i] !== padLength;
    if (badPadding) throw new AlertError('record authentication failed (bad_record_mac)', ALERT.badRecordMac);
    const plaintext = padded.subarray(0, contentEnd);
    const mac = padded.subarray(contentEnd, contentEnd + macLength);
    const expected = createHmac(suite.mac, keys.macKey)
      .update(additionalData(sequence, record.type, record.version, plaintext.length))
      .update(plaintext)
      .digest();
    if (!expected.equals(mac)) throw new AlertError('record authentication failed (bad_record_mac)', ALERT.badRecordMac);
    return plaintext;
  }
}
