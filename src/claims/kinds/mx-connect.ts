// mx-connect (npm), the library a Node developer sends with: examples/mta-sts/mx-connect.mjs
// finds the MX and the MTA-STS policy through the resolver that knows the scenario's domain,
// and delivers with nodemailer on mx-connect's socket (verified TLS when the policy enforces).
import { type ClientKind, domainOfHost, shellWord } from '../kind.js';

export const mxConnect: ClientKind = {
  name: 'mx-connect',
  program: 'node',
  settings: ['to'],
  tlsModes: [],
  hasLog: false,
  invoke(settings, target) {
    const to = [settings.to ?? `rcpt@${domainOfHost(target.hostname)}`].flat();
    return {
      kind: 'command',
      // The policy host's certificate is the test CA's: Node trusts it beside its own roots.
      argv: ['env', `NODE_EXTRA_CA_CERTS=${target.ca}`, 'node', 'examples/mta-sts/mx-connect.mjs', '--resolver', target.resolver ?? '{resolver}', ...to.map(shellWord)],
      // mailauth gives a policy host 15 s.
      timeoutMs: 30_000,
    };
  },
};
