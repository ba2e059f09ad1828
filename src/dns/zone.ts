// The zone model: what a served zone holds, and the zone files Knot reads, as text. Nothing
// here does IO; src/dns/serve.ts writes these files and starts the servers.
//
// A zone is an origin, its records, and how DNSSEC treats it:
//   signed        Knot signs it (ECDSA P-256, algorithm 13), and its key is a trust anchor
//                 of the resolver. A signed zone must not lie inside another served zone:
//                 put its records in that zone instead.
//   unsigned      no signatures: outside every signed zone, a validating resolver answers
//                 it as insecure (no AD bit); inside a signed parent, the parent delegates
//                 to it without DS, which proves it insecure the same way.
//   broken-chain  unsigned, but its parent publishes a DS record that matches no key of
//                 it: the chain of trust is broken and a validating resolver answers
//                 SERVFAIL for every name in it (RFC 4035 §5: "bogus"). It needs a signed
//                 parent among the served zones.

export const RECORD_TYPES = ['A', 'AAAA', 'MX', 'TLSA', 'TXT', 'CNAME', 'NS', 'DS'] as const;
export type RecordType = (typeof RECORD_TYPES)[number];

export interface DnsRecord {
  /** Relative to the zone's origin (`mx1`, `_25._tcp.mx1`), `@` for the origin itself, or absolute with a final dot. */
  name: string;
  type: RecordType;
  /** The record's data in zone-file (presentation) form: `10 mx1.example.test.`, `3 1 1 ab12...`, `"v=STSv1; id=1"`. */
  data: string;
}

export const DNSSEC_MODES = ['signed', 'unsigned', 'broken-chain'] as const;
export type DnssecMode = (typeof DNSSEC_MODES)[number];

export interface ZoneSpec {
  /** The zone's name, without the final dot: `example.test`. */
  origin: string;
  records: DnsRecord[];
  /** signed by default. */
  dnssec?: DnssecMode;
}

/** The time to live of every record: short, as the zones live only as long as a test. */
const TTL = 300;

/** A name, absolute (with the final dot). */
export function absolute(name: string, origin: string): string {
  if (name === '@') return `${origin}.`;
  if (name.endsWith('.')) return name;
  return `${name}.${origin}.`;
}

/** Whether `name` (no final dot) is `zone` or below it. */
export function isWithin(name: string, zone: string): boolean {
  const a = name.toLowerCase().replace(/\.$/, '');
  const z = zone.toLowerCase().replace(/\.$/, '');
  return a === z || a.endsWith(`.${z}`);
}

/** The served zone that holds a delegation to `zone`: the closest one above it, if any. */
export function parentOf(zone: ZoneSpec, zones: readonly ZoneSpec[]): ZoneSpec | undefined {
  return zones
    .filter((other) => other !== zone && isWithin(zone.origin, other.origin))
    .sort((a, b) => b.origin.length - a.origin.length)[0];
}

/** TXT data from text: quoted, split into strings of at most 255 bytes (RFC 1035 §3.3.14). */
export function txtData(text: string): string {
  const chunks = text.match(/[\s\S]{1,255}/g) ?? [''];
  return chunks.map((chunk) => `"${chunk.replace(/["\\]/g, '\\$&')}"`).join(' ');
}

/** The name server every zone names: one Knot answers for all. */
export function nameServerOf(zone: ZoneSpec, zones: readonly ZoneSpec[]): string {
  let top = zone;
  for (let parent = parentOf(top, zones); parent; parent = parentOf(top, zones)) top = parent;
  return `ns.${top.origin}.`;
}

/**
 * One zone's file: SOA and NS, the name server's address where it lies in this zone, the
 * records given, and for each served zone directly below it the delegation (NS), with a
 * DS that no key matches for a broken-chain child.
 */
export function zoneFile(zone: ZoneSpec, zones: readonly ZoneSpec[], nameServerAddress: string): string {
  const origin = `${zone.origin}.`;
  const ns = nameServerOf(zone, zones);
  const lines = [`$ORIGIN ${origin}`, `$TTL ${TTL}`, `@ SOA ${ns} hostmaster.${origin} 1 3600 600 86400 ${TTL}`, `@ NS ${ns}`];
  if (isWithin(ns, zone.origin) && !zones.some((other) => other !== zone && isWithin(other.origin, zone.origin) && isWithin(ns, other.origin))) {
    lines.push(`${ns} A ${nameServerAddress}`);
  }
  for (const record of zone.records) lines.push(`${absolute(record.name, zone.origin)} ${record.type} ${record.data}`);
  for (const child of zones.filter((other) => parentOf(other, zones) === zone)) {
    const name = `${child.origin}.`;
    lines.push(`${name} NS ${ns}`);
    if (child.dnssec === 'broken-chain') lines.push(`${name} DS ${BOGUS_DS}`);
  }
  return `${lines.join('\n')}\n`;
}

/** A DS record (key tag, algorithm 13, SHA-256) whose digest is of no key: the broken chain. */
const BOGUS_DS = `4242 13 2 ${'0badc0de'.repeat(8)}`;

/** What is wrong with a set of zones, or undefined: one origin each; a broken chain needs a signed parent. */
export function zonesProblem(zones: readonly ZoneSpec[]): string | undefined {
  const origins = zones.map((zone) => zone.origin.toLowerCase());
  const twice = origins.find((origin, index) => origins.indexOf(origin) !== index);
  if (twice) return `the zone ${twice} is given twice`;
  if (zones.length === 0) return 'no zone to serve';
  for (const zone of zones) {
    if (!/^([a-z0-9_]([a-z0-9_-]*[a-z0-9])?\.)+[a-z0-9]([a-z0-9-]*[a-z0-9])?$/i.test(zone.origin)) return `${zone.origin} is not a domain name (no final dot)`;
    const parent = parentOf(zone, zones);
    const mode = zone.dnssec ?? 'signed';
    if (mode === 'broken-chain' && (!parent || (parent.dnssec ?? 'signed') !== 'signed')) return `${zone.origin}: a broken chain needs a signed parent zone among those served`;
    if (mode === 'signed' && parent) return `${zone.origin}: a signed zone inside the served zone ${parent.origin} is not supported; put its records in ${parent.origin}`;
  }
  return undefined;
}
