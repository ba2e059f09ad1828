// Diffie-Hellman groups the engine can offer. The published ones come from Node's own copies
// of the RFC 2409/3526 MODP groups; the weak and broken ones were generated once for this
// project (the generator is 2 unless said otherwise) and are fixed so every run serves the same.
import { getDiffieHellman } from 'node:crypto';
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
const published = (name: 'modp1' | 'modp2' | 'modp14') => fromHex(getDiffieHellman(name).getPrime('hex'));

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
