// The engine's DH arithmetic: OpenSSL's for the groups it accepts, BigInt for the ones it
// refuses, and the same numbers either way (BigInt's modPow is the reference).
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DH_GROUP_NAMES, dhGroup, dhPublicValue, dhSharedSecret, modPow, toBigInt, type DhGroup } from '../../src/tls/engine/groups.js';

const exponent = () => toBigInt(randomBytes(32)) | 2n;

describe('DH arithmetic', () => {
  // A group the engine cannot name: one from a file, an odd modulus OpenSSL has never seen.
  const fromFile: DhGroup = { name: 'from-a-file.pem', p: dhGroup('1024').p - 2n ** 64n, g: 5n, bits: 1024 };

  it.each([...DH_GROUP_NAMES.map((name) => [name, dhGroup(name)] as const), ['a group from a file', fromFile] as const])('%s: public values and shared secrets are g^x and y^x mod p', (_name, group) => {
    // Multiples of 7 land on 1 in small-subgroup, whose generator has order 7: OpenSSL refuses those.
    const pairs: Array<[bigint, bigint]> = [[exponent(), exponent()], [exponent(), exponent()], [7n * exponent(), exponent()], [exponent(), 7n * exponent()]];
    for (const [ours, theirs] of pairs) {
      expect(dhPublicValue(group, ours)).toBe(modPow(group.g, ours, group.p));
      const theirPublic = modPow(group.g, theirs, group.p);
      expect(dhSharedSecret(group, theirPublic, ours)).toBe(modPow(theirPublic, ours, group.p));
    }
    // What a hostile client may send (the engine refuses these before, with illegal_parameter).
    for (const edge of [1n, group.p - 1n]) {
      const ours = exponent();
      expect(dhSharedSecret(group, edge, ours)).toBe(modPow(edge, ours, group.p));
    }
  });
});
