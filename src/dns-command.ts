// `broken-mta dns --scenario dane-valid --domain example.test`: a DANE scenario as a whole
// domain (its `dns` section, src/domain.ts): its MX hosts on port 25 of loopback addresses
// of their own, the zone signed by Knot, unbound validating it on port 53 of another. It
// prints one JSON line saying where everything is, writes the trust anchor and a
// resolv.conf where asked, then the servers' events until a signal, like `serve`.
//
// A command of its own rather than `serve --domain`: serve's flags choose ports and the
// control API, none of which applies here (an MTA finds MX hosts on port 25 and its
// resolver on port 53); and the keys Knot makes live as long as the run, so the trust
// anchor is written by the run that made them (--trust-anchor FILE).
import type { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { DEFAULT_DOMAIN } from './defaults.js';
import { UsageError } from './usage-error.js';

interface DnsOptions {
  scenario?: string;
  domain: string;
  trustAnchor?: string;
  resolvConf?: string;
  resolver?: string;
}

export function dnsCommand(program: Command): void {
  const dns = program
    .command('dns')
    .description('serve a DANE or MTA-STS scenario as a whole domain: a DNSSEC-signed zone (Knot), a validating resolver (unbound), its MX hosts and (MTA-STS) its policy host, on loopback')
    .option('-s, --scenario <name|file>', 'a scenario with a dns or mtaSts section: dane-valid, sts-policy-404, ... (`broken-mta list`)')
    .option('--domain <name>', 'the domain served (its MX hosts are mx1.DOMAIN, ...)', DEFAULT_DOMAIN)
    .option('--trust-anchor <file>', "write the signed zone's DS record here: the trust anchor of any validating resolver of yours")
    .option('--resolv-conf <file>', 'write a resolv.conf naming the resolver here, to bind-mount over /etc/resolv.conf in your MTA\'s namespace')
    .option('--resolver <address>', 'the 127.x.y.z address the resolver answers on, port 53 (default: a free random 127.53.x.y)')
    .addHelpText(
      'after',
      '\nNeeds root (ports 25 and 53) and Debian\'s knot and unbound. The first line on stdout is JSON:\n' +
        '{"domain","scenario","resolver","resolvConf","trustAnchor","trustAnchorFile","mx":[{"host","address","port","preference","tlsa"}]};\n' +
        'for an MTA-STS scenario (port 443 too) {"domain","scenario","resolver","resolvConf","mx":[...],"mtaSts":{"txt","policy","address","port","ca"}}.\n' +
        "Point only your MTA at the resolver, never the machine: the README's \"DANE test domains\" has the recipe.\n\n" +
        'Example:\n  broken-mta dns --scenario dane-tlsa-mismatch --domain example.test --trust-anchor /tmp/ta.ds\n',
    )
    .action(async (options: DnsOptions) => {
      // The program has a --scenario of its own (for serving one scenario), which commander reads first.
      const reference = options.scenario ?? program.opts<{ scenario?: string }>().scenario;
      if (!reference) dns.error('error: dns needs --scenario NAME|FILE (a scenario with a dns section, such as dane-valid)');
      if (!/^([a-z0-9]([a-z0-9-]*[a-z0-9])?\.)+[a-z0-9]([a-z0-9-]*[a-z0-9])?$/.test(options.domain)) throw new UsageError(`--domain ${options.domain}: give a domain name such as example.test (lower case, no final dot)`);
      if (options.resolver !== undefined && !/^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(options.resolver)) throw new UsageError(`--resolver ${options.resolver}: give a loopback address (127.x.y.z)`);
      await serveDomain(reference!, options, program.opts());
    });
}

async function serveDomain(reference: string, options: DnsOptions, flags: ReturnType<Command['opts']>): Promise<void> {
  const [{ startDomains }, { limitsOf, runUntilStopped, servingScenarios }, { loadScenario }, { writeAtomically }] = await Promise.all([
    import('./domain.js'),
    import('./serving.js'),
    import('./index.js'),
    import('./certs/cache.js'),
  ]);
  const serveFlags = flags as Parameters<typeof runUntilStopped>[1];
  const scenario = loadScenario(reference);
  if (scenario.mtaSts && !scenario.dns) {
    const { serveStsDomain } = await import('./mta-sts/serve.js');
    return serveStsDomain(scenario, { domain: options.domain, ...(options.resolver ? { resolver: options.resolver } : {}), ...(options.resolvConf ? { resolvConf: options.resolvConf } : {}), ...(serveFlags.certs ? { certs: serveFlags.certs } : {}) }, serveFlags);
  }
  if (!scenario.dns) throw new UsageError(`${scenario.name} has no dns section: it serves no domain (the dane-* scenarios do); serve it with --scenario ${reference}`);
  const served = await startDomains([{ scenario, domain: options.domain }], {
    limits: limitsOf(serveFlags),
    ...(serveFlags.certs ? { certDir: serveFlags.certs } : {}),
    ...(options.resolver ? { resolverAddress: options.resolver } : {}),
  });
  const { dns, domains } = served;
  if (options.trustAnchor) writeAtomically(options.trustAnchor, dns.trustAnchor, 0o644);
  if (options.resolvConf) writeAtomically(options.resolvConf, readFileSync(dns.resolvConf, 'utf8'), 0o644);
  const mx = domains[0]!.mx.map((entry) => ({ host: entry.host, address: entry.server.host, port: entry.server.port, preference: entry.preference, tlsa: entry.tlsa, ...(entry.tlsaLookup ? { tlsaLookup: entry.tlsaLookup } : {}) }));
  console.log(
    JSON.stringify({
      domain: options.domain,
      scenario: scenario.name,
      resolver: dns.resolver.address,
      resolvConf: options.resolvConf ?? dns.resolvConf,
      trustAnchor: dns.trustAnchor.trim(),
      trustAnchorFile: options.trustAnchor ?? dns.trustAnchorFile,
      mx,
    }),
  );
  if (!serveFlags.json) {
    process.stderr.write(`${options.domain}: ${scenario.summary ?? scenario.name}\n`);
    process.stderr.write(`point your MTA's resolver at ${dns.resolver.address} (port 53): nameserver ${dns.resolver.address} and options trust-ad in its resolv.conf\n`);
  }
  const serving = servingScenarios(domains[0]!.mx.map((entry) => entry.server));
  runUntilStopped({ ...serving, close: () => served.close() }, serveFlags, { scenario: false });
}

