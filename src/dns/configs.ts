// The configuration files of the two servers, as text: Knot, the authoritative server that
// signs (automatic DNSSEC signing with a policy of ECDSA P-256, algorithm 13, NSEC), and
// unbound, the validating resolver an MTA is pointed at. Every path is inside the zone's
// private folder; neither server runs as another user, chroots or writes outside it.
import { join } from 'node:path';
import { parentOf, type ZoneSpec } from './zone.js';

export interface Endpoints {
  /** The loopback address unbound answers on (port `resolverPort`), and Knot on `knotPort`. */
  address: string;
  resolverPort: number;
  knotPort: number;
}

export function knotConfig(dir: string, zones: readonly ZoneSpec[], { address, knotPort }: Endpoints): string {
  const q = (path: string) => JSON.stringify(path);
  return [
    'server:',
    `    rundir: ${q(dir)}`,
    `    pidfile: ${q(join(dir, 'knot.pid'))}`,
    `    listen: ${address}@${knotPort}`,
    'control:',
    `    listen: ${q(join(dir, 'knot.sock'))}`,
    'log:',
    '  - target: stdout',
    '    any: notice',
    'database:',
    `    storage: ${q(join(dir, 'knot-db'))}`,
    'policy:',
    '  - id: p256',
    '    algorithm: ecdsap256sha256',
    '    nsec3: off',
    'template:',
    '  - id: default',
    `    storage: ${q(join(dir, 'zones'))}`,
    // The zone files are ours: Knot neither writes them back nor keeps a journal of them.
    '    zonefile-sync: -1',
    '    zonefile-load: whole',
    '    journal-content: none',
    'zone:',
    ...zones.flatMap((zone) => [
      `  - domain: ${zone.origin}.`,
      `    file: ${q(`${zone.origin}.zone`)}`,
      ...((zone.dnssec ?? 'signed') === 'signed' ? ['    dnssec-signing: on', '    dnssec-policy: p256'] : []),
    ]),
    '',
  ].join('\n');
}

/**
 * unbound: validating (the trust anchor file holds the signed zones' DS records), asking
 * Knot for every served zone (a stub zone each, for Knot listens on a port of its own) and
 * refusing every other name, so that nothing leaves the machine and no answer depends on
 * the world's DNS. `test.` is one of unbound's default local zones (RFC 6761): the served
 * zones are made transparent, so their names are resolved rather than answered NXDOMAIN.
 */
export function unboundConfig(dir: string, zones: readonly ZoneSpec[], { address, resolverPort, knotPort }: Endpoints, trustAnchorFile: string | undefined): string {
  const q = (path: string) => JSON.stringify(path);
  const tops = zones.filter((zone) => !parentOf(zone, zones));
  return [
    'server:',
    `    interface: ${address}@${resolverPort}`,
    '    do-ip6: no',
    '    access-control: 127.0.0.0/8 allow',
    '    do-not-query-localhost: no',
    '    username: ""',
    '    chroot: ""',
    `    directory: ${q(dir)}`,
    `    pidfile: ${q(join(dir, 'unbound.pid'))}`,
    '    use-syslog: no',
    '    logfile: ""',
    '    verbosity: 0',
    // Why an answer is bogus, in unbound's output: the servfail scenarios' evidence.
    '    val-log-level: 2',
    '    module-config: "validator iterator"',
    '    num-threads: 1',
    '    outgoing-range: 64',
    '    so-reuseport: no',
    ...(trustAnchorFile ? [`    trust-anchor-file: ${q(trustAnchorFile)}`] : []),
    '    local-zone: "." refuse',
    ...tops.map((zone) => `    local-zone: "${zone.origin}." transparent`),
    'remote-control:',
    '    control-enable: no',
    ...zones.flatMap((zone) => ['stub-zone:', `    name: "${zone.origin}."`, `    stub-addr: ${address}@${knotPort}`]),
    '',
  ].join('\n');
}

/** A resolv.conf for the MTA's namespace: unbound only, and glibc told to pass on its AD bit. */
export function resolvConf(address: string): string {
  return `# broken-mta: the test zones' validating resolver (unbound)\nnameserver ${address}\noptions trust-ad edns0\n`;
}
