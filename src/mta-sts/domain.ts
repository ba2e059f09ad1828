// A mail domain whose MX is a scenario and whose MTA-STS policy is the scenario's `mtaSts`
// section, on loopback: the MX listener on port 25, the policy host on 443 of the same
// address, and a DNS zone (src/dns: Knot and unbound) that names both and announces the
// policy in its `_mta-sts` TXT record. A sender pointed at the zone's resolver finds it all
// as it would on the Internet: senders take neither port from anywhere, so both need root.
import { CertificateCache } from '../certs/cache.js';
import { DEFAULT_HOSTNAME, defaultCertDir } from '../defaults.js';
import { serveZones, type ServedZones } from '../dns/serve.js';
import { txtData, type ZoneSpec } from '../dns/zone.js';
import { loadScenario, startScenario, type RunningScenario, type ScenarioReference, type StartOptions } from '../index.js';
import { servePolicyHost, type PolicyHost, type PolicyRequest } from './host.js';
import { domainOf, txtRecord, type PublishedPolicy } from './policy.js';

export interface StsDomainOptions {
  /** The MX host's name; the domain is its parent. mx.broken-mta.test by default. */
  hostname?: string;
  certDir?: string;
  /** The loopback address of the MX and the policy host: a free random 127.55.x.y by default. */
  address?: string;
  /** 25 and 443 by default, the only ones senders use. */
  smtpPort?: number;
  httpsPort?: number;
  limits?: StartOptions['limits'];
  /** unbound's address (port 53); a free random 127.53.x.y by default. */
  resolverAddress?: string;
  /** Called for every request the policy host answers (or leaves hanging). */
  onPolicyRequest?: (request: PolicyRequest) => void;
}

export interface StsDomain {
  domain: string;
  address: string;
  mx: RunningScenario;
  policyHost: PolicyHost;
  /** Every request the policy host answered (or left hanging). */
  policyRequests: PolicyRequest[];
  /** unbound, the resolver to point a sender at, and a resolv.conf naming it. */
  dns(): ServedZones;
  /** The scenario's `next` policy, published: the policy host serves it and the TXT record carries its id. */
  rotate(): Promise<PublishedPolicy>;
  close(): Promise<void>;
}

/** The zone: the domain's MX, its address, the policy host's, and the TXT record naming the policy's id. */
export function stsZone(domain: string, hostname: string, address: string, policy: PublishedPolicy): ZoneSpec {
  const relative = (name: string) => (name.endsWith(`.${domain}`) ? name.slice(0, -domain.length - 1) : `${name}.`);
  return {
    origin: domain,
    dnssec: 'unsigned',
    records: [
      { name: '@', type: 'MX', data: `10 ${hostname}.` },
      { name: relative(hostname), type: 'A', data: address },
      { name: 'mta-sts', type: 'A', data: address },
      { name: '_mta-sts', type: 'TXT', data: txtData(txtRecord(policy)) },
    ],
  };
}

export async function startStsDomain(reference: ScenarioReference, options: StsDomainOptions = {}): Promise<StsDomain> {
  const scenario = loadScenario(reference);
  if (!scenario.mtaSts) throw new Error(`${scenario.name} has no mtaSts section: it describes no MTA-STS policy`);
  const settings = scenario.mtaSts;
  const hostname = options.hostname ?? DEFAULT_HOSTNAME;
  const domain = domainOf(hostname);
  const certDir = options.certDir ?? defaultCertDir();
  const address = options.address ?? randomAddress();
  const opened: Array<{ close(): Promise<void> }> = [];
  const closeAll = async () => {
    for (const item of opened.reverse()) await item.close();
  };
  try {
    const mx = await startScenario(scenario, { host: address, port: options.smtpPort ?? 25, hostname, certDir, ...(options.limits ? { limits: options.limits } : {}) });
    opened.push(mx);
    const served = await new CertificateCache(certDir, hostname).get(settings.host.cert);
    const policyRequests: PolicyRequest[] = [];
    const policyHost = await servePolicyHost({ settings, domain, key: served.key, cert: served.chain, host: address, port: options.httpsPort ?? 443, onRequest: (r) => (policyRequests.push(r), options.onPolicyRequest?.(r)) });
    opened.push(policyHost);
    let zones = await serveZones({ zones: [stsZone(domain, hostname, address, policyHost.policy)], ...(options.resolverAddress ? { address: options.resolverAddress } : {}) });
    opened.push({ close: () => zones.close() });
    return {
      domain,
      address,
      mx,
      policyHost,
      policyRequests,
      dns: () => zones,
      async rotate() {
        const policy = policyHost.rotate();
        // A new unbound on the same address: the sender's resolv.conf stays right, and no cache keeps the old id.
        const resolver = zones.resolver.address;
        await zones.close();
        zones = await serveZones({ address: resolver, zones: [stsZone(domain, hostname, address, policy)] });
        return policy;
      },
      close: closeAll,
    };
  } catch (error) {
    await closeAll();
    throw error;
  }
}

/** 127.55.x.y: apart from the resolvers' 127.53.x.y (and the DANE MX hosts' 127.54.x.y), and from 127.0.0.1 where an MTA may listen. */
function randomAddress(): string {
  const byte = () => 1 + Math.floor(Math.random() * 254);
  return `127.55.${byte()}.${byte()}`;
}
