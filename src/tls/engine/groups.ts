// Diffie-Hellman groups the engine can offer. The published ones come from Node's own copies
// of the RFC 2409/3526 MODP groups; the weak and broken ones were generated once for this
// project (the generator is 2 unless said otherwise) and are fixed so every run serves the same.
import { createDiffieHellman, getDiffieHellman, type DiffieHellman } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';

export const DH_GROUP_NAMES = ['480', '512', '768', '1024', '2048', 'composite', 'small-subgroup'] as const;
export type DhGroupName = (typeof DH_GROUP_NAMES)[number];

export interface DhGroup {
  /** A named group, or the file the parameters came from. */
  name: DhGroupName | string;
  p: bigint;
  g: bigint;
  bits: number;
}

const fromHex = (hex: string) => BigInt(`0x${hex}`);
type ModpName = 'modp1' | 'modp2' | 'modp5' | 'modp14' | 'modp15' | 'modp16' | 'modp17' | 'modp18';
const published = (name: ModpName) => fromHex(getDiffieHellman(name).getPrime('hex'));

const GROUPS: Record<DhGroupName, () => Pick<DhGroup, 'p' | 'g'>> = {
  // Safe primes, generated with crypto.generatePrimeSync({ safe: true }).
  '480': () => ({ p: fromHex('e87602157fab66da202f5e8be9d84581d6328a222afd270345bb17ce2ac2d71964f228526557f0c5dfd02b1d9c74cce56fb666a794b7f5b5f59bb67f'), g: 2n }),
  '512': () => ({ p: fromHex('d5d1e8a1c99488af50d30b1960327f22a1af979d3b37d58fa152679ff4fbdbb337a72aca1c68fc50c35113250df2a76ac0aa078b3eb16f38c8363028b00e8057'), g: 2n }),
  // RFC 2409 §6.1 (Oakley group 1), §6.2 (group 2); RFC 3526 §3 (group 14).
  '768': () => ({ p: published('modp1'), g: 2n }),
  '1024': () => ({ p: published('modp2'), g: 2n }),
  '2048': () => ({ p: published('modp14'), g: 2n }),
  // A 2048-bit product of two 1024-bit primes, as badssl.com's dh-composite.
  composite: () => ({
    p: fromHex('c0e51df9a39789d21bbace03d402404faf84706a347ce9646a620ca6131c04e786c25b9cb6d4a190b376afb64dd6d7a9fb975e364632a27c02da2dfa5a3c9174081356b7d8728366e517c4b9ca2b4405115439b21358075ec70c620bed7ebb58349debce733c7dbb4816055d4f7d88cc9e627a9560131f52dec248a42b4e33a92e8a797c6bbc656952e5f32276f94b9aa2a6a6f3e0849c49ff77e9ef5e7b080b88f0391700c54c07659049d4c8d275d2e30eae0ebf69c43abfc7a601a407e05eeef995152a2017614d40e1b073755a944197ad4ef29fb5ff31631290066c7743f68fa0d2f362b911484829431f6b485990a71da7fee81d27399993a25e4d632f'),
    g: 2n,
  }),
  // A 2048-bit prime p with 7 | p-1 and a generator of order 7, as badssl.com's
  // dh-small-subgroup: the shared secret can take only seven values.
  'small-subgroup': () => ({
    p: fromHex('af9c79d386ada61bb4b8eabd47099eba870b9bdb1e061a7dfd638acd0f7973064cb227d169b9b370d81a26bfd670e3fca59b5d91bfb6fed525b536e654da2b7bee52c1be5e1694e01053b4b35be74183c610ee4fa186c21570e8c8d45d6d296e47f02d39c02e7af847e229d07bc9ff521e2e82edb1e35c0805086b0a858846391608fc47f21e72455b9bac5d0890ccd3aa5eee63a841b5d6c63f65a36cdb1c35d6533d8df57ea7d80132d8b68436d48598a7517e316b8680d11929036b381eeba1c878f6c9e53cf7dc51970e1241ecabb5136684b98371a2fd22252a82b7c3afd8cd1d07488c050a6a53f4637b78ce6e1580c3f9e94e8637195727cafe19977f'),
    g: fromHex('1a9fe43d21b1d4d84f7d91e57e5e0aa1941a5da894244ba0d3c1bce86ecd57d20cf1715ae059f272768a5994df5821048f1d8b3b8b2d0511300d817ed02fee40eca94cdd89913302dc0581a6c48aacc0fc61b38655460e35e47da617e684d0b6d6c1e3690984da37f71365211d09fee07f2d40b86cf73e015f5a913802dc482c6ef560de547849c4fc39c56628d5c4215e94580739f920aa0ac3800af0449c32fd16ec7de359d81a363e1d05fc9de14312727c4311dac1a28a474c15269cdc20ff29eac8b4413369995a15ce88d2b258cb743a04332c833cabf6c64f058745c0542c7cdc0b8076fb736ef60fdeb927788032474fb5a997da30d33065d76c77a6'),
  }),
};

const cache = new Map<DhGroupName, DhGroup>();

export function dhGroup(name: DhGroupName): DhGroup {
  let group = cache.get(name);
  if (!group) {
    const { p, g } = GROUPS[name]();
    group = { name, p, g, bits: p.toString(2).length };
    cache.set(name, group);
  }
  return group;
}

/**
 * OpenSSL's arithmetic for a group, where it accepts the group: one DiffieHellman object
 * per group, since making one checks the parameters (a primality test: 0.1 s for
 * small-subgroup), and each use sets the private value first. Undefined where OpenSSL
 * refuses the group (a modulus under 512 bits); BigInt serves those, and the numbers
 * OpenSSL refuses in a group it takes (a public value of 1 in a small subgroup).
 */
const OPENSSL = new WeakMap<DhGroup, DiffieHellman | null>();

function opensslOf(group: DhGroup): DiffieHellman | undefined {
  let dh = OPENSSL.get(group);
  if (dh === undefined) {
    try {
      dh = createDiffieHellman(toBytes(group.p), toBytes(group.g));
      // OpenSSL says what it refuses here, not when the object is made.
      dh.setPrivateKey(Buffer.of(2));
      dh.generateKeys();
    } catch {
      dh = null;
    }
    OPENSSL.set(group, dh);
  }
  return dh ?? undefined;
}

/** base^x mod p through OpenSSL where it will (7 times faster than BigInt at 2048 bits), else BigInt. */
function groupPower(group: DhGroup, base: bigint, exponent: bigint, openssl: (dh: DiffieHellman) => Buffer): bigint {
  const dh = opensslOf(group);
  if (dh) {
    try {
      dh.setPrivateKey(toBytes(exponent));
      return toBigInt(openssl(dh));
    } catch {
      // a number OpenSSL refuses to use: BigInt has no opinion
    }
  }
  return modPow(base, exponent, group.p);
}

/** g^x mod p. */
export function dhPublicValue(group: DhGroup, privateExponent: bigint): bigint {
  return groupPower(group, group.g, privateExponent, (dh) => dh.generateKeys());
}

/** y^x mod p, the shared secret. */
export function dhSharedSecret(group: DhGroup, peerPublic: bigint, privateExponent: bigint): bigint {
  return groupPower(group, peerPublic, privateExponent, (dh) => dh.computeSecret(toBytes(peerPublic)));
}

export function modPow(base: bigint, exponent: bigint, modulus: bigint): bigint {
  let result = 1n;
  base %= modulus;
  while (exponent > 0n) {
    if (exponent & 1n) result = (result * base) % modulus;
    base = (base * base) % modulus;
    exponent >>= 1n;
  }
  return result;
}

export function toBigInt(bytes: Buffer): bigint {
  return bytes.length ? BigInt(`0x${bytes.toString('hex')}`) : 0n;
}

/** Big-endian bytes, no leading zeros (RFC 5246 §8.1.2 strips them from the DH secret). */
export function toBytes(value: bigint, length?: number): Buffer {
  let hex = value.toString(16);
  if (hex.length % 2) hex = `0${hex}`;
  const bytes = Buffer.from(hex, 'hex');
  if (length === undefined || bytes.length >= length) return bytes;
  return Buffer.concat([Buffer.alloc(length - bytes.length), bytes]);
}

/**
 * DH parameters as `openssl dhparam -out FILE BITS` writes them: PEM around PKCS #3
 * DHParameter ::= SEQUENCE { prime INTEGER, base INTEGER, privateValueLength INTEGER OPTIONAL },
 * or X9.42's SEQUENCE { p, g, q, ... } (-dsaparam).
 * Throws an Error that says what is wrong with the file.
 */
export function dhGroupFromFile(file: string): DhGroup {
  const pem = readFileSync(file, 'latin1');
  // X9.42 parameters (openssl dhparam -dsaparam) start with the same p and g, then q.
  const body = /-----BEGIN (?:X9\.42 )?DH PARAMETERS-----([\s\S]+?)-----END (?:X9\.42 )?DH PARAMETERS-----/.exec(pem)?.[1];
  if (!body) throw new Error('not a PEM file of DH parameters (-----BEGIN DH PARAMETERS-----, as openssl dhparam writes)');
  const der = Buffer.from(body.replace(/\s+/g, ''), 'base64');
  let offset = 0;
  const readLength = (): number => {
    const first = der[offset++];
    if (first === undefined) throw new Error('DH parameters are truncated');
    if (first < 0x80) return first;
    const count = first & 0x7f;
    if (count > 3 || offset + count > der.length) throw new Error('DH parameters have a bad length');
    let length = 0;
    for (let i = 0; i < count; i++) length = (length << 8) | der[offset++]!;
    return length;
  };
  const expect = (tag: number, what: string): number => {
    if (der[offset++] !== tag) throw new Error(`DH parameters: expected ${what}`);
    const length = readLength();
    if (offset + length > der.length) throw new Error('DH parameters are truncated');
    return length;
  };
  expect(0x30, 'a SEQUENCE');
  const integer = (what: string): bigint => {
    const length = expect(0x02, `an INTEGER (${what})`);
    const value = toBigInt(der.subarray(offset, offset + length));
    offset += length;
    return value;
  };
  const p = integer('the prime');
  const g = integer('the generator');
  if (p < 3n || g < 2n || g >= p) throw new Error('DH parameters out of range (p < 3, or g not in 2..p-1)');
  return { name: basename(file), p, g, bits: p.toString(2).length };
}

/** DH parameters as PEM, the form dhGroupFromFile reads and `openssl dhparam` writes. */
export function dhParamsPem(p: bigint, g: bigint): string {
  const length = (n: number) => (n < 0x80 ? Buffer.of(n) : n < 0x100 ? Buffer.of(0x81, n) : Buffer.of(0x82, n >> 8, n & 0xff));
  const integer = (value: bigint) => {
    const bytes = toBytes(value);
    const body = bytes[0]! & 0x80 ? Buffer.concat([Buffer.of(0), bytes]) : bytes;
    return Buffer.concat([Buffer.of(0x02), length(body.length), body]);
  };
  const content = Buffer.concat([integer(p), integer(g)]);
  const der = Buffer.concat([Buffer.of(0x30), length(content.length), content]);
  const base64 = der.toString('base64').replace(/.{1,64}/g, '$&\n');
  return `-----BEGIN DH PARAMETERS-----\n${base64}-----END DH PARAMETERS-----\n`;
}

// --- groups a server may send: what a probe compares a ServerKeyExchange against ------

/** supported_groups codes (RFC 8422 §5.1.1, RFC 7919, RFC 8446 §4.2.7). */
export const NAMED_GROUPS: Readonly<Record<number, string>> = {
  21: 'secp224r1',
  23: 'secp256r1',
  24: 'secp384r1',
  25: 'secp521r1',
  29: 'x25519',
  30: 'x448',
  256: 'ffdhe2048',
  257: 'ffdhe3072',
  258: 'ffdhe4096',
  259: 'ffdhe6144',
  260: 'ffdhe8192',
};

export const namedGroupName = (code: number): string => NAMED_GROUPS[code] ?? `0x${code.toString(16).padStart(4, '0')}`;

/**
 * RFC 7919 §A: p = 2^b - 2^(b-64) + (floor(2^(b-130) * e) + X) * 2^64 - 1, computed rather
 * than copied, so a typo cannot hide in 8192 bits of hex (the tests compare with OpenSSL's).
 */
function ffdhePrime(bits: number, x: bigint): bigint {
  const guard = 64n;
  let term = 1n << (BigInt(bits - 130) + guard);
  let eScaled = 0n;
  for (let k = 1n; term > 0n; k++) {
    eScaled += term;
    term /= k;
  }
  const b = BigInt(bits);
  return (1n << b) - (1n << (b - 64n)) + ((eScaled >> guard) + x) * (1n << 64n) - 1n;
}

export interface KnownDhGroup {
  name: string;
  /** Where it comes from, for the reader of a capture. */
  source: string;
  p: bigint;
  g: bigint;
}

const KNOWN_SOURCES: ReadonlyArray<readonly [string, string, () => { p: bigint; g: bigint }]> = [
  ['rfc2409-768', 'RFC 2409 Oakley group 1 (768 bits)', () => ({ p: published('modp1'), g: 2n })],
  ['rfc2409-1024', 'RFC 2409 Oakley group 2 (1024 bits)', () => ({ p: published('modp2'), g: 2n })],
  ['rfc3526-1536', 'RFC 3526 group 5 (1536 bits)', () => ({ p: published('modp5'), g: 2n })],
  ['rfc3526-2048', 'RFC 3526 group 14 (2048 bits)', () => ({ p: published('modp14'), g: 2n })],
  ['rfc3526-3072', 'RFC 3526 group 15 (3072 bits)', () => ({ p: published('modp15'), g: 2n })],
  ['rfc3526-4096', 'RFC 3526 group 16 (4096 bits)', () => ({ p: published('modp16'), g: 2n })],
  ['rfc3526-6144', 'RFC 3526 group 17 (6144 bits)', () => ({ p: published('modp17'), g: 2n })],
  ['rfc3526-8192', 'RFC 3526 group 18 (8192 bits)', () => ({ p: published('modp18'), g: 2n })],
  ['ffdhe2048', 'RFC 7919 ffdhe2048', () => ({ p: ffdhePrime(2048, 560316n), g: 2n })],
  ['ffdhe3072', 'RFC 7919 ffdhe3072', () => ({ p: ffdhePrime(3072, 2625351n), g: 2n })],
  ['ffdhe4096', 'RFC 7919 ffdhe4096', () => ({ p: ffdhePrime(4096, 5736041n), g: 2n })],
  ['ffdhe6144', 'RFC 7919 ffdhe6144', () => ({ p: ffdhePrime(6144, 15705020n), g: 2n })],
  ['ffdhe8192', 'RFC 7919 ffdhe8192', () => ({ p: ffdhePrime(8192, 10965728n), g: 2n })],
  // The weakdh.org study's common primes: samples compiled into servers for years.
  ['openssl-dh512', "OpenSSL's sample dh512.pem (512 bits), compiled into many servers of the 2000s", () => ({ p: fromHex('da583c16d9852289d0e4af756f4cca92dd4be533b804fb0fed94ef9c8a4403ed574650d36999db29d776276ba2d3d412e218f4dd1e084cf6d8003e7c4774e833'), g: 2n })],
  ['openssl-dh1024', "OpenSSL's sample dh1024.pem (1024 bits)", () => ({ p: fromHex('f488fd584e49dbcd20b49de49107366b336c380d451d0f7c88b31c7c5b2d8ef6f3c923c043f0a55b188d8ebb558cb85d38d334fd7c175743a31d186cde33212cb52aff3ce1b1294018118d7c84a70a72d686c40319c807297aca950cd9969fabd00a509b0246d3083d66a45d419f9c7cbd894b221926baaba25ec355e92f78c7'), g: 2n })],
  ['nginx-dh1024', "older nginx's built-in 1024-bit group (used when ssl_dhparam was not set)", () => ({ p: fromHex('bbbc2dcad84674907c43fcf580e9cfdbd958a3f568b42d4b08eed4eb0fb3504c6c030276e710800c5ccbbaa8922614c5beeca565a5fdf1d287a2bc049be6778060e91a92a757e3048f68b076f7d36cc8f29ba5df81dc2ca725ece66270cc9a5035d8ceceef9ea0274a63ab1e58fafd4988d0f65d146757da071df045cfe16b9b'), g: 2n })],
  // badssl.com's certs/src/dhparam/: a composite modulus, and a prime with a generator of small order.
  ['badssl-dh-composite', "badssl.com's dh-composite (2047 bits, composite)", () => ({ p: fromHex('5e778bc69d49b21ce7dbb97d2d32aa34815b1d777d0038161fa90a6916fdd4c9cbe799276ed50f790bf8061c2a0ad8bf83a911dfe0ec6e88fcff269a8026da015406eaa9fd573802d6962648a37849199c6b4d4b993dac1a8849b310d6511451b7209c90e7ff60f7e3b631c41f607e8d680b95f3e480edead5cb1d2c0e38ad9a05ba7c0c5e153550a047998982a8c827cb84f15d4f97e5e2e83b32d5e7344a4f8d2068bcc0f95ecfd9949dc50dfb15ebd4b0a33edd4be50a2650abbfb39b7feb652423211497f703618d3fe47320975d4a7d896c16933040a0a70801b8a9aa90a2fa2e20f334c2ffaef3b52c57d4fad5786db9fe4418aef8e082da6d994e0bc7'), g: 5n })],
  ['badssl-dh-small-subgroup', "badssl.com's dh-small-subgroup (2048 bits, a generator of small order)", () => ({
    p: (1n << 2048n) - 0xfffffffe3n,
    g: fromHex('bba9059782678bac2ef3d30e3d0c211507739384ac9680c99c73c1ed2057463647224a958d3086a8efcf0382ea7ab05f5ed827877dd855a79f4ed60b4060b46cbaa2d7d3de12fde7f0f69307e46a322b32e78a7a9a10506765719223caa61a658ee7a0d553d337a18dedffcfd930855c21375514b7ae82efbd0e028a464cc8ef3154ae7c994e581efeeef00e1bfeb8a5ab89be1ebe6ea52e73be52885358aa8b8eddd28cabad8f57f40553d8ab661d474887030a3cc5a9806186fec8bf8ebccf2368c072e543191631f03d5bb6a8731564190af25d0da55503a252c345c2a77ceaef5bb3b94e2facb051b2467fbc5570d451e6512c91e09703b2ef982f3a13f8'),
  })],
];

let known: KnownDhGroup[] | undefined;

/** Our own groups that are not published ones (768, 1024 and 2048 are RFC 2409/3526's). */
const OWN_GROUPS: readonly DhGroupName[] = ['480', '512', 'composite', 'small-subgroup'];
const OWN_GROUP_FLAWS: Partial<Record<DhGroupName, string>> = {
  composite: 'the modulus is composite (the product of two 1024-bit primes)',
  'small-subgroup': 'the generator has order 7',
};

/** Every published or notorious group, broken-mta's own included (named as the engine names them). */
export function knownDhGroups(): readonly KnownDhGroup[] {
  known ??= [
    ...OWN_GROUPS.map((name) => ({ ...dhGroup(name), source: `broken-mta's ${name} group${OWN_GROUP_FLAWS[name] ? ` (${OWN_GROUP_FLAWS[name]})` : ''}` })),
    ...KNOWN_SOURCES.map(([name, source, values]) => ({ name, source, ...values() })),
  ].map(({ name, source, p, g }) => ({ name, source, p, g }));
  return known;
}
