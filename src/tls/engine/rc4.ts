// RC4 (the cipher of RFC 6229's test vectors), by hand: OpenSSL 3 keeps it in its legacy
// provider, which Node does not load. The keystream runs on from one record to the next.
export class Rc4 {
  private readonly state = new Uint8Array(256);
  private i = 0;
  private j = 0;

  constructor(key: Buffer) {
    if (key.length === 0 || key.length > 256) throw new RangeError(`an RC4 key has 1 to 256 bytes, not ${key.length}`);
    const s = this.state;
    for (let n = 0; n < 256; n++) s[n] = n;
    for (let n = 0, j = 0; n < 256; n++) {
      j = (j + s[n]! + key[n % key.length]!) & 0xff;
      [s[n], s[j]] = [s[j]!, s[n]!];
    }
  }

  /** XORs the next keystream bytes into `data`, in place, and returns it. */
  xor(data: Buffer): Buffer {
    const s = this.state;
    let { i, j } = this;
    for (let n = 0; n < data.length; n++) {
      i = (i + 1) & 0xff;
      j = (j + s[i]!) & 0xff;
      const t = s[i]!;
      s[i] = s[j]!;
      s[j] = t;
      data[n]! ^= s[(s[i]! + t) & 0xff]!;
    }
    this.i = i;
    this.j = j;
    return data;
  }
}
