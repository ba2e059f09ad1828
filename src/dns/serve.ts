// DNS test zones on loopback: Knot serves (and signs) the zones, unbound validates them
// from a trust anchor written here, and an MTA pointed at unbound sees a DNSSEC-secure
// (or insecure, or bogus) domain that exists nowhere else. Needs Debian's knot and unbound.
//
// The interface (everything else in src/dns/ is detail):
//
//   import { serveZones } from './dns/serve.js';
//   const dns = await serveZones({
//     zones: [{
//       origin: 'example.test',                 // no final dot
//       dnssec: 'signed',                        // the default; or 'unsigned', 'broken-chain' (zone.ts)
//       records: [
//         { name: '@', type: 'MX', data: '10 mx1.example.test.' },
//         { name: 'mx1', type: 'A', data: '127.53.9.9' },
//         { name: '_25._tcp.mx1', type: 'TLSA', data: '3 1 1 <sha-256 of the SPKI, hex>' },  // tlsa.ts computes it
//         { name: '_mta-sts', type: 'TXT', data: txtData('v=STSv1; id=1') },
//       ],
//     }],
//     // address: '127.53.1.2', port: 53     (defaults: a free random 127.53.x.y, port 53)
//   });
//   dns.resolver        // { address: '127.53.x.y', port: 53 }: unbound, the MTA's nameserver
//   dns.resolvConf      // a resolv.conf naming it (with `options trust-ad`), to bind-mount
//                       // over /etc/resolv.conf in the MTA's own mount namespace
//   dns.trustAnchor     // the signed zones' DS records, one a line ('' when none is signed)
//   dns.trustAnchorFile // the same, as the file unbound reads (trust-anchor-file)
//   dns.folder          // the private (0700) folder holding all of it
//   await dns.close()   // stops unbound and Knot, removes the folder
//
// Port 53 needs root (or CAP_NET_BIND_SERVICE): resolv.conf cannot name another port. Every
// name outside the served zones is refused, so nothing is asked of the world's DNS.
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createSocket } from 'node:dgram';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Resolver } from 'node:dns/promises';
import { knotConfig, resolvConf, unboundConfig, type Endpoints } from './configs.js';
import { runProgram, startDaemon, waitUntil, type Daemon } from './daemon.js';
import { zoneFile, zonesProblem, type ZoneSpec } from './zone.js';

export interface ServeZonesOptions {
  zones: ZoneSpec[];
  /** unbound's (and Knot's) loopback address; a free random 127.53.x.y by default. */
  address?: string;
  /** unbound's port: 53 by default, the only one resolv.conf can name. */
  port?: number;
}

export interface ServedZones {
  resolver: { address: string; port: number };
  resolvConf: string;
  trustAnchor: string;
  trustAnchorFile: string;
  folder: string;
  close(): Promise<void>;
}

/** Knot's port, on the resolver's address: any free one would do, as the address is ours alone. */
const KNOT_PORT = 5353;

export async function serveZones(options: ServeZonesOptions): Promise<ServedZones> {
  const problem = zonesProblem(options.zones);
  if (problem) throw new Error(`dns: ${problem}`);
  const folder = mkdtempSync(join(tmpdir(), 'broken-mta-dns-'));
  chmodSync(folder, 0o700);
  const daemons: Daemon[] = [];
  const close = async () => {
    for (const daemon of daemons.reverse()) await daemon.stop();
    rmSync(folder, { recursive: true, force: true });
  };
  try {
    const endpoints: Endpoints = { address: options.address ?? (await freeLoopbackAddress(options.port ?? 53)), resolverPort: options.port ?? 53, knotPort: KNOT_PORT };
    const knot = await startKnot(folder, options.zones, endpoints);
    daemons.push(knot);
    const trustAnchor = await trustAnchorOf(folder, options.zones);
    const trustAnchorFile = join(folder, 'trust-anchor.ds');
    writeFileSync(trustAnchorFile, trustAnchor, { mode: 0o644 });
    daemons.push(await startUnbound(folder, options.zones, endpoints, trustAnchor ? trustAnchorFile : undefined));
    const resolvConfFile = join(folder, 'resolv.conf');
    writeFileSync(resolvConfFile, resolvConf(endpoints.address), { mode: 0o644 });
    return { resolver: { address: endpoints.address, port: endpoints.resolverPort }, resolvConf: resolvConfFile, trustAnchor, trustAnchorFile, folder, close };
  } catch (error) {
    await close();
    throw error;
  }
}

async function startKnot(folder: string, zones: readonly ZoneSpec[], endpoints: Endpoints): Promise<Daemon> {
  const zonesDir = join(folder, 'zones');
  mkdirSync(zonesDir);
  mkdirSync(join(folder, 'knot-db'));
  for (const zone of zones) writeFileSync(join(zonesDir, `${zone.origin}.zone`), zoneFile(zone, zones, endpoints.address));
  const config = join(folder, 'knot.conf');
  writeFileSync(config, knotConfig(folder, zones, endpoints));
  const knot = startDaemon('knotd', ['-c', config]);
  // Loaded, and signed where it is to be: `re-sign` appears once Knot has signed a zone.
  const loaded = async () => {
    const status = await runProgram('knotc', ['-c', config, 'zone-status']);
    return zones.every((zone) => {
      const line = status.split('\n').find((l) => l.startsWith(`[${zone.origin}.]`)) ?? '';
      return /serial: \d+/.test(line) && ((zone.dnssec ?? 'signed') !== 'signed' || /re-sign: /.test(line));
    });
  };
  await waitUntil(knot, 'the zones to load', loaded).catch(async (error: unknown) => {
    await knot.stop();
    throw error;
  });
  return knot;
}

/** The DS records of every signed zone's key-signing key, SHA-256 only: what unbound anchors trust in. */
async function trustAnchorOf(folder: string, zones: readonly ZoneSpec[]): Promise<string> {
  const config = join(folder, 'knot.conf');
  const lines: string[] = [];
  for (const zone of zones.filter((z) => (z.dnssec ?? 'signed') === 'signed')) {
    const ds = await runProgram('keymgr', ['-c', config, `${zone.origin}.`, 'ds']);
    lines.push(...ds.split('\n').filter((line) => / DS \d+ 13 2 /.test(line)));
  }
  return lines.map((line) => `${line}\n`).join('');
}

async function startUnbound(folder: string, zones: readonly ZoneSpec[], endpoints: Endpoints, trustAnchorFile: string | undefined): Promise<Daemon> {
  const config = join(folder, 'unbound.conf');
  writeFileSync(config, unboundConfig(folder, zones, endpoints, trustAnchorFile));
  const unbound = startDaemon('unbound', ['-d', '-c', config]);
  const resolver = new Resolver({ timeout: 500, tries: 1 });
  resolver.setServers([`${endpoints.address}:${endpoints.resolverPort}`]);
  // A broken-chain zone answers SERVFAIL however ready unbound is: ask another.
  const answering = zones.find((zone) => zone.dnssec !== 'broken-chain');
  const probe = async () => (answering ? resolver.resolveSoa(answering.origin).then(() => true) : true);
  await waitUntil(unbound, 'its first answer', probe).catch(async (error: unknown) => {
    await unbound.stop();
    throw error;
  });
  return unbound;
}

/** A random 127.53.x.y whose port is free (UDP; unbound takes TCP beside it). */
async function freeLoopbackAddress(port: number): Promise<string> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const address = `127.53.${1 + Math.floor(Math.random() * 254)}.${1 + Math.floor(Math.random() * 254)}`;
    if (await udpPortFree(address, port)) return address;
  }
  throw new Error(`dns: no free loopback address for port ${port} after 20 tries`);
}

function udpPortFree(address: string, port: number): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const socket = createSocket('udp4');
    socket.once('error', (error: NodeJS.ErrnoException) => {
      socket.close();
      if (error.code === 'EADDRINUSE') resolve(false);
      else reject(new Error(`dns: cannot listen on ${address}:${port} (${error.code ?? error.message}${error.code === 'EACCES' ? ': port 53 needs root' : ''})`));
    });
    socket.bind(port, address, () => socket.close(() => resolve(true)));
  });
}
