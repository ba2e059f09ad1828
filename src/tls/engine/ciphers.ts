// The bulk ciphers of the record layer (RFC 5246 §6.2.3), one small class per kind behind
// one interface: a block cipher in CBC with an HMAC (AES, 3DES, export DES40), an AEAD
// (AES-GCM), and a stream cipher with an HMAC (RC4; NULL is the stream that changes
// nothing). Each keeps one direction's cipher state: TLS 1.0's chained IV, RC4's keystream.
// A record that does not open is bad_record_mac (20), whatever the reason, as RFC 5246 asks.
import { createCipheriv, createDecipheriv, createHmac } from 'node:crypto';
import { ALERT } from '../alerts.js';
import { AlertError } from './alert-error.js';
import { Rc4 } from './rc4.js';
import { VERSION_CODES, type CipherSuite } from './suites.js';

/** One direction's keys (RFC 5246 §6.1 connection state); export suites' keys come already expanded. */
export interface DirectionKeys {
  suite: CipherSuite;
  key: Buffer;
  macKey: Buffer;
  /** CBC: the IV of the first record under TLS 1.0; GCM: the 4-byte salt; stream ciphers: empty. */
  iv: Buffer;
}

/** What the MAC and the AEAD cover besides the content: seq_num, type, version, length. */
export interface RecordHeader {
  sequence: bigint;
  type: number;
  version: number;
}

export interface RecordCipher {
  /** The record's fragment for this content. */
  seal(header: RecordHeader, plaintext: Buffer): Buffer;
  /** The content of this fragment; an AlertError (bad_record_mac) when it does not open. */
  open(header: RecordHeader, fragment: Buffer): Buffer;
}

function sequenceBytes(sequence: bigint): Buffer {
  const bytes = Buffer.alloc(8);
  bytes.writeBigUInt64BE(sequence);
  return bytes;
}

function additionalData({ sequence, type, version }: RecordHeader, length: number): Buffer {
  const tail = Buffer.alloc(5);
  tail[0] = type;
  tail.writeUInt16BE(version, 1);
  tail.writeUInt16BE(length, 3);
  return Buffer.concat([sequenceBytes(sequence), tail]);
}

const badRecordMac = () => new AlertError('record authentication failed (bad_record_mac)', ALERT.badRecordMac);

function recordMac(keys: DirectionKeys, header: RecordHeader, content: Buffer): Buffer {
  return createHmac(keys.suite.mac!, keys.macKey).update(additionalData(header, content.length)).update(content).digest();
}

/** Node's name and block size for a CBC suite's cipher; DES is 3DES with one key three times (EDE with K1 = K2 = K3 is single DES). */
export function blockCipherOf(keys: Pick<DirectionKeys, 'suite' | 'key'>): { name: string; key: Buffer; blockSize: number } {
  const { cipher } = keys.suite;
  if (cipher === 'des40-cbc') return { name: 'des-ede3-cbc', key: Buffer.concat([keys.key, keys.key, keys.key]), blockSize: 8 };
  return { name: cipher, key: keys.key, blockSize: cipher === 'des-ede3-cbc' ? 8 : 16 };
}

/** CBC with MAC-then-encrypt and TLS padding; TLS 1.0 chains the IV from record to record, TLS 1.1 on sends it. */
class CbcCipher implements RecordCipher {
  private readonly name: string;
  private readonly key: Buffer;
  private readonly blockSize: number;
  private chainedIv: Buffer;

  constructor(
    private readonly keys: DirectionKeys,
    private readonly explicitIv: boolean,
    private readonly random: (length: number) => Buffer,
  ) {
    ({ name: this.name, key: this.key, blockSize: this.blockSize } = blockCipherOf(keys));
    this.chainedIv = Buffer.from(keys.iv);
  }

  seal(header: RecordHeader, plaintext: Buffer): Buffer {
    const mac = recordMac(this.keys, header, plaintext);
    const padLength = this.blockSize - 1 - ((plaintext.length + mac.length) % this.blockSize);
    const padded = Buffer.concat([plaintext, mac, Buffer.alloc(padLength + 1, padLength)]);
    const iv = this.explicitIv ? this.random(this.blockSize) : this.chainedIv;
    const cipher = createCipheriv(this.name, this.key, iv).setAutoPadding(false);
    const body = Buffer.concat([cipher.update(padded), cipher.final()]);
    if (!this.explicitIv) this.chainedIv = body.subarray(body.length - this.blockSize);
    return this.explicitIv ? Buffer.concat([iv, body]) : body;
  }

  open(header: RecordHeader, fragment: Buffer): Buffer {
    const { blockSize } = this;
    const iv = this.explicitIv ? fragment.subarray(0, blockSize) : this.chainedIv;
    const body = this.explicitIv ? fragment.subarray(blockSize) : fragment;
    const { macLength } = this.keys.suite;
    if (iv.length < blockSize || body.length === 0 || body.length % blockSize !== 0 || body.length < macLength + 1) {
      throw new AlertError('CBC record of a bad length', ALERT.badRecordMac);
    }
    if (!this.explicitIv) this.chainedIv = Buffer.from(body.subarray(body.length - blockSize));
    const decipher = createDecipheriv(this.name, this.key, iv).setAutoPadding(false);
    const padded = Buffer.concat([decipher.update(body), decipher.final()]);
    const padLength = padded[padded.length - 1]!;
    const contentEnd = padded.length - padLength - 1 - macLength;
    let badPadding = contentEnd < 0;
    for (let i = padded.length - padLength - 1; !badPadding && i < padded.length; i++) badPadding = padded[i] !== padLength;
    if (badPadding) throw badRecordMac();
    const plaintext = padded.subarray(0, contentEnd);
    if (!recordMac(this.keys, header, plaintext).equals(padded.subarray(contentEnd, contentEnd + macLength))) throw badRecordMac();
    return plaintext;
  }
}

/** AES-GCM (RFC 5288): a 4-byte salt from the key block, the sequence number as the explicit nonce. */
class GcmCipher implements RecordCipher {
  constructor(private readonly keys: DirectionKeys) {}

  seal(header: RecordHeader, plaintext: Buffer): Buffer {
    const explicit = sequenceBytes(header.sequence);
    const cipher = createCipheriv(this.keys.suite.cipher as 'aes-128-gcm', this.keys.key, Buffer.concat([this.keys.iv, explicit]));
    cipher.setAAD(additionalData(header, plaintext.length));
    const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return Buffer.concat([explicit, body, cipher.getAuthTag()]);
  }

  open(header: RecordHeader, fragment: Buffer): Buffer {
    if (fragment.length < 8 + 16) throw new AlertError('AEAD record too short', ALERT.badRecordMac);
    const explicit = fragment.subarray(0, 8);
    const tag = fragment.subarray(fragment.length - 16);
    const body = fragment.subarray(8, fragment.length - 16);
    const decipher = createDecipheriv(this.keys.suite.cipher as 'aes-128-gcm', this.keys.key, Buffer.concat([this.keys.iv, explicit]));
    decipher.setAAD(additionalData(header, body.length));
    decipher.setAuthTag(tag);
    try {
      return Buffer.concat([decipher.update(body), decipher.final()]);
    } catch {
      throw badRecordMac();
    }
  }
}

/** A stream cipher with MAC-then-encrypt: RC4's keystream runs on across records; NULL's is all zeros. */
class StreamCipher implements RecordCipher {
  private readonly stream: { xor(data: Buffer): Buffer };

  constructor(private readonly keys: DirectionKeys) {
    this.stream = keys.suite.cipher === 'rc4-128' ? new Rc4(keys.key) : { xor: (data) => data };
  }

  seal(header: RecordHeader, plaintext: Buffer): Buffer {
    return this.stream.xor(Buffer.concat([plaintext, recordMac(this.keys, header, plaintext)]));
  }

  open(header: RecordHeader, fragment: Buffer): Buffer {
    const { macLength } = this.keys.suite;
    const opened = this.stream.xor(Buffer.from(fragment));
    if (opened.length < macLength) throw badRecordMac();
    const plaintext = opened.subarray(0, opened.length - macLength);
    if (!recordMac(this.keys, header, plaintext).equals(opened.subarray(plaintext.length))) throw badRecordMac();
    return plaintext;
  }
}

/** The record cipher for one direction's keys at this version. */
export function recordCipher(keys: DirectionKeys, version: number, random: (length: number) => Buffer): RecordCipher {
  const { cipher } = keys.suite;
  if (cipher === 'aes-128-gcm' || cipher === 'aes-256-gcm') return new GcmCipher(keys);
  if (cipher === 'rc4-128' || cipher === 'null') return new StreamCipher(keys);
  return new CbcCipher(keys, version >= VERSION_CODES['TLSv1.1'], random);
}
