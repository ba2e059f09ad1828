// The TLS record layer (RFC 5246 §6.2): framing, sequence numbers, and protection with the
// bulk ciphers of ciphers.ts.
import { randomBytes } from 'node:crypto';
import { ALERT } from '../alerts.js';
import { AlertError } from './alert-error.js';
import { recordCipher, type DirectionKeys, type RecordCipher } from './ciphers.js';

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

export type { DirectionKeys } from './ciphers.js';

/**
 * Protects or opens the records of one direction, with the bulk cipher of ciphers.ts its
 * keys name. Before ChangeCipherSpec there are no keys and records pass as they are.
 */
export class RecordProtection {
  private cipher: RecordCipher | undefined;
  private sequence = 0n;

  constructor(
    private readonly version: () => number,
    /** Where explicit CBC IVs come from: the engine's own source, so a test can fix it. */
    private readonly random: (length: number) => Buffer = randomBytes,
  ) {}

  get active(): boolean {
    return this.cipher !== undefined;
  }

  activate(keys: DirectionKeys): void {
    this.cipher = recordCipher(keys, this.version(), this.random);
    this.sequence = 0n;
  }

  seal(type: number, plaintext: Buffer): Buffer {
    const version = this.version();
    if (!this.cipher) return encodeRecord(type, version, plaintext);
    return encodeRecord(type, version, this.cipher.seal({ sequence: this.sequence++, type, version }, plaintext));
  }

  open(record: TlsRecord): Buffer {
    if (!this.cipher) return record.fragment;
    return this.cipher.open({ sequence: this.sequence++, type: record.type, version: record.version }, record.fragment);
  }
}
