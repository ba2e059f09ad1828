// A scenario's domain (its `dns` section): each MX host a server of the scenario on a
// loopback address of its own, port 25; the zone naming them, with the TLSA records the
// scenario asks for computed from the certificate those servers present; and Knot and
// unbound (src/dns/) serving and validating it. Several domains may share one resolver,
// as the test suite's do: one resolv.conf for an MTA that delivers to all of them.
//
//   const served = await startDomains([{ scenario: 'dane-valid', domain: 'example.test' }]);
//   served.dns.resolvConf          // what the MTA's /etc/resolv.conf must say
//   served.dns.trustAnchor         // the DS records a validating resolver starts from
//   served.domains[0].mx[0].server // the RunningScenario behind mx1.example.test
//   await served.close();
//
// Ports 25 and 53 need root: an MTA finds an MX's port nowhere but in its own defaults.
import { CertificateCache } from './certs/cache.js';
import { DEFAULT_HOSTNAME, defaultCertDir } from './defaults.js';
import { serveZones, type ServedZones } from './dns/serve.js';
import { spoiled, tlsaData } from './dns/tlsa.js';
import type { DnsRecord, ZoneSpec } from './dns/zone.js';
import { loadScenario, startScenario, type RunningScenario, type ScenarioReference, type StartOptions } from './index.js';
import type { Scenario } from './scenario/schema.js';

export interface DomainRequest {
  scenario: ScenarioReference;
  /** The domain served: `example.test` (no final dot). */
  domain: string;
}

export interface StartDomainsOptions extends Pick<StartOptions, 'certDir' | 'limits' | 'store' | 'onKeyGeneration'> {
  /** unbound's address; a free random 127.53.x.y by default. */
  resolverAddress?: string;
  /** More records for a domain's zone, by domain (`_mta-sts` TXT, an `mta-sts` A record...). */
  extraRecords?: Record<string, DnsRecord[]>;
}

export interface ServedMx {
  /** Its name, absolute without the final dot: mx1.example.test. */
  host: string;
  preference: number;
  /** The TLSA records published for it (`3 1 1 <hex>`), as the zone holds them. */
  tlsa: string[];
  tlsaLookup?: 'servfail';
  server: RunningScenario;
}

export interface RunningDomain {
  domain: string;
  scenario: Scenario;
  mx: ServedMx[];
}

export interface RunningDomains {
  dns: ServedZones;
  domains: RunningDomain[];
  close(): Promise<void>;
}

/** The MX listeners' port: the one an MTA connects to. */
export const MX_PORT = 25;

export async function startDomains(requests: DomainRequest[], options: StartDomainsOptions = {}): Promise<RunningDomains> {
  const servers: RunningScenario[] = [];
  const closeServers = () => Promise.all(servers.map((server) => server.close()));
  try {
    const domains: RunningDomain[] = [];
    for (const request of requests) domains.push(await startDomain(request, options, servers));
    const dns = await serveZones({ zones: domains.flatMap((domain) => zonesOf(domain, options.extraRecords?.[domain.domain])), ...(options.resolverAddress ? { address: options.resolverAddress } : {}) });
    return {
      dns,
      domains,
      async close() {
        await closeServers();
        await dns.close();
      },
    };
  } catch (error) {
    await closeServers();
    throw error;
  }
}

async function startDomain({ scenario: reference, domain }: DomainRequest, options: StartDomainsOptions, servers: RunningScenario[]): Promise<RunningDomain> {
  const scenario = loadScenario(reference);
  if (!scenario.dns) throw new Error(`${scenario.name} has no dns section: it serves no domain (the dane-* scenarios do)`);
  const chain = scenario.tls ? await servedChain(scenario.tls.cert, options.certDir) : [];
  const mx: ServedMx[] = [];
  for (const [index, entry] of scenario.dns.mx.entries()) {
    const server = await startOnFreeLoopback(scenario, options);
    servers.push(server);
    const tlsa = entry.tlsa.map((record) => {
      const pinned = record.pins === 'issuer' ? chain[1] : chain[0];
      if (!pinned) throw new Error(`${scenario.name}: dns.mx[${index}].tlsa pins the ${record.pins}, which tls.cert ${scenario.tls?.cert ?? '(none)'} does not send`);
      const data = tlsaData(record, pinned);
      return record.stale ? spoiled(data) : data;
    });
    mx.push({ host: `${entry.host}.${domain}`, preference: entry.preference ?? 10 * (index + 1), tlsa, ...(entry.tlsaLookup ? { tlsaLookup: entry.tlsaLookup } : {}), server });
  }
  return { domain, scenario, mx };
}

/** The domain's zone, and for an MX whose TLSA lookup is to fail, the broken-chain zone holding its records. */
export function zonesOf({ domain, scenario, mx }: RunningDomain, extra: DnsRecord[] = []): ZoneSpec[] {
  const records: DnsRecord[] = [...extra];
  const broken: ZoneSpec[] = [];
  for (const entry of mx) {
    records.push({ name: '@', type: 'MX', data: `${entry.preference} ${entry.host}.` }, { name: `${entry.host}.`, type: 'A', data: entry.server.host });
    const tlsa = entry.tlsa.map((data) => ({ name: `_${MX_PORT}._tcp.${entry.host}.`, type: 'TLSA' as const, data }));
    if (entry.tlsaLookup === 'servfail') broken.push({ origin: `_tcp.${entry.host}`, dnssec: 'broken-chain', records: tlsa });
    else records.push(...tlsa);
  }
  return [{ origin: domain, dnssec: scenario.dns?.dnssec ?? 'signed', records }, ...broken];
}

/** The certificates a server of this profile sends, leaf first, as PEM each. */
async function servedChain(profile: NonNullable<Scenario['tls']>['cert'], certDir: string | undefined): Promise<string[]> {
  const served = await new CertificateCache(certDir ?? defaultCertDir(), DEFAULT_HOSTNAME).get(profile);
  return served.chain.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n?/g) ?? [];
}

/** A server of the scenario on port 25 of a random 127.54.x.y: each MX host has an address of its own. */
async function startOnFreeLoopback(scenario: Scenario, options: StartDomainsOptions): Promise<RunningScenario> {
  for (let attempt = 1; ; attempt++) {
    const host = `127.54.${1 + Math.floor(Math.random() * 254)}.${1 + Math.floor(Math.random() * 254)}`;
    try {
      return await startScenario(scenario, { ...options, host, port: MX_PORT });
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EACCES') throw new Error(`cannot listen on ${host}:${MX_PORT}: port ${MX_PORT} needs root`);
      if (code !== 'EADDRINUSE' || attempt >= 20) throw error;
    }
  }
}
