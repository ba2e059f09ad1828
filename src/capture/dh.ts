// What a DH group in a ServerKeyExchange is: a known one (groups.ts has the one table), a
// safe prime of some size, a prime whose generator has a small order, or no prime at all.
import { checkPrimeSync } from 'node:crypto';
import { knownDhGroups, modPow } from '../tls/engine/groups.js';

export interface DhFindings {
  bits: number;
  /** Hex, as sent. */
  p: string;
  g: string;
  known?: { name: string; source: string };
  /** Undefined when not tested (a prime over 4096 bits takes seconds to test). */
  prime?: boolean;
  safePrime?: boolean;
  /** The generator's order, when it is small (a small-subgroup group). */
  generatorOrder?: number;
}

/** Known groups that are broken on purpose: their flaw is computed, not assumed. */
const BROKEN = new Set(['composite', 'small-subgroup', 'badssl-dh-composite', 'badssl-dh-small-subgroup']);
const MAX_TESTED_BITS = 4096;
const SMALL_PRIMES = [2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61, 67, 71, 73, 79, 83, 89, 97];

export function classifyDh(p: bigint, g: bigint): DhFindings {
  const bits = p.toString(2).length;
  const findings: DhFindings = { bits, p: p.toString(16), g: g.toString(16) };
  const known = knownDhGroups().find((group) => group.p === p && group.g === g);
  if (known) findings.known = { name: known.name, source: known.source };
  if (known && !BROKEN.has(known.name)) return { ...findings, prime: true, safePrime: true };
  if (bits > MAX_TESTED_BITS) return findings;
  findings.prime = checkPrimeSync(p);
  findings.safePrime = findings.prime && checkPrimeSync((p - 1n) / 2n);
  if (findings.prime && !findings.safePrime) {
    const order = SMALL_PRIMES.find((r) => (p - 1n) % BigInt(r) === 0n && modPow(g, BigInt(r), p) === 1n);
    if (order !== undefined) findings.generatorOrder = order;
  }
  return findings;
}

export function describeDh(dh: DhFindings): string {
  if (dh.known) return `a ${dh.bits}-bit group, ${dh.known.source}`;
  const what = `an unknown ${dh.bits}-bit group`;
  if (dh.prime === false) return `${what}: the modulus is not prime`;
  if (dh.generatorOrder !== undefined) return `${what}: the generator has order ${dh.generatorOrder}`;
  if (dh.safePrime === false) return `${what}: not a safe prime`;
  return what;
}
