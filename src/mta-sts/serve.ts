// `broken-mta dns --scenario sts-... --domain example.test`: an MTA-STS scenario as a whole
// domain (src/mta-sts/domain.ts): the MX mx.DOMAIN on port 25 and the policy host
// mta-sts.DOMAIN on port 443 of one loopback address, the zone naming them and the
// _mta-sts record, unbound answering it. The first line on stdout is JSON, as for a DANE
// scenario; then the MX's events, and a line for each policy fetch, until a signal.
import { readFileSync } from 'node:fs';
import { writeAtomically } from '../certs/cache.js';
import type { Scenario } from '../scenario/schema.js';
import { limitsOf, runUntilStopped, servingScenarios } from '../serving.js';
import { startStsDomain } from './domain.js';
import type { PolicyRequest } from './host.js';
import { POLICY_PATH, txtRecord } from './policy.js';

export interface StsServeOptions {
  domain: string;
  resolver?: string;
  resolvConf?: string;
  certs?: string;
}

export async function serveStsDomain(scenario: Scenario, options: StsServeOptions, flags: Parameters<typeof runUntilStopped>[1]): Promise<void> {
  // The policy host's requests are not SMTP events: a line of their own on stderr says each.
  const onPolicyRequest = (request: PolicyRequest) =>
    process.stderr.write(`policy host: GET ${request.path} from ${request.remoteAddress}: ${request.status}${request.id ? ` (policy id ${request.id})` : ''}\n`);
  const sts = await startStsDomain(scenario, { hostname: `mx.${options.domain}`, limits: limitsOf(flags), onPolicyRequest, ...(options.resolver ? { resolverAddress: options.resolver } : {}), ...(options.certs ? { certDir: options.certs } : {}) });
  const dns = sts.dns();
  if (options.resolvConf) writeAtomically(options.resolvConf, readFileSync(dns.resolvConf, 'utf8'), 0o644);
  const policyUrl = `https://mta-sts.${options.domain}${POLICY_PATH}`;
  console.log(
    JSON.stringify({
      domain: options.domain,
      scenario: scenario.name,
      resolver: dns.resolver.address,
      resolvConf: options.resolvConf ?? dns.resolvConf,
      mx: [{ host: `mx.${options.domain}`, address: sts.mx.host, port: sts.mx.port }],
      mtaSts: { txt: txtRecord(sts.policyHost.policy), policy: policyUrl, address: sts.policyHost.host, port: sts.policyHost.port, ca: sts.mx.caFile },
    }),
  );
  if (!flags.json) {
    process.stderr.write(`${options.domain}: ${scenario.summary ?? scenario.name}\n`);
    process.stderr.write(`point your MTA's resolver (and its MTA-STS resolver's) at ${dns.resolver.address} (port 53); trust ${sts.mx.caFile} for ${policyUrl}\n`);
  }
  if (scenario.mtaSts?.next) {
    // The scenario's next policy (a new id), on demand: as a domain publishes one, between two deliveries.
    process.on('SIGUSR1', () => {
      void sts.rotate().then((policy) => process.stderr.write(`published the next policy: ${txtRecord(policy)} (mode ${policy.mode})\n`));
    });
    if (!flags.json) process.stderr.write(`kill -USR1 ${process.pid} publishes the next policy (${scenario.mtaSts.next.id})\n`);
  }
  const serving = servingScenarios([sts.mx]);
  runUntilStopped({ ...serving, close: () => sts.close() }, flags, { scenario: false });
}
