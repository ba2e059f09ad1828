// The byte-level vocabulary of TLS's presentation language (RFC 5246 §4): bounds-checked
// reading and length-prefixed vectors, shared by every message codec in messages.ts.
import { ALERT } from '../alerts.js';
import { AlertError } from './alert-error.js';

/** A bounds-checked reader over a message body; every overrun is a decode_error (50). */
export class Cursor {
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
  u24(): number {
    this.need(3);
    const value = this.bytes.readUIntBE(this.offset, 3);
    this.offset += 3;
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
  vector24(): Buffer {
    return this.take(this.u24());
  }
  /** A list of 16-bit codes in a vector (suites, groups, signature algorithms). */
  codes(vector: Buffer): number[] {
    if (vector.length % 2) throw new AlertError(`${this.what} has a list of odd length`, ALERT.decodeError);
    const codes: number[] = [];
    for (let i = 0; i < vector.length; i += 2) codes.push(vector.readUInt16BE(i));
    return codes;
  }
  get remaining(): number {
    return this.bytes.length - this.offset;
  }
  /** The message must end here. */
  end(): void {
    if (this.remaining > 0) throw new AlertError(`${this.what} has trailing bytes`, ALERT.decodeError);
  }
}

export function u16(value: number): Buffer {
  const bytes = Buffer.alloc(2);
  bytes.writeUInt16BE(value);
  return bytes;
}
export function vector8(bytes: Buffer): Buffer {
  return Buffer.concat([Buffer.of(bytes.length), bytes]);
}
export function vector16(bytes: Buffer): Buffer {
  return Buffer.concat([u16(bytes.length), bytes]);
}
export function vector24(bytes: Buffer): Buffer {
  const length = Buffer.alloc(3);
  length.writeUIntBE(bytes.length, 0, 3);
  return Buffer.concat([length, bytes]);
}
/** 16-bit codes as a vector with a 16-bit length (cipher suites, supported_groups). */
export const codes16 = (values: readonly number[]): Buffer => vector16(Buffer.concat(values.map(u16)));
