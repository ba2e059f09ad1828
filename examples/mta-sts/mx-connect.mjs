#!/usr/bin/env node
// Delivers one message the way a Node developer would with MTA-STS: mx-connect finds the MX,
// fetches the domain's policy and checks the MX against it; nodemailer then speaks SMTP on
// that socket, requiring a verified certificate for the MX's name when the policy enforces
// (RFC 8461 §4.2), and only reporting a bad one in testing mode. DNS goes to the resolver
// named on the command line, never the machine's; the policy host is trusted through
// NODE_EXTRA_CA_CERTS (Node's own trust store plus the test CA).
//
//   NODE_EXTRA_CA_CERTS=$(broken-mta certs) node examples/mta-sts/mx-connect.mjs \
//     --resolver 127.53.0.1 rcpt@broken-mta.test
//
// It prints one line per step: the policy, the MX check, TLS, the delivery (or why not).
// Exit status: 0 delivered, 1 not delivered, 2 bad input.
import { Resolver } from 'node:dns/promises';
import { checkServerIdentity } from 'node:tls';
import { parseArgs } from 'node:util';
import mxConnect from 'mx-connect';
import nodemailer from 'nodemailer';

const { values, positionals } = parseArgs({ options: { resolver: { type: 'string' }, port: { type: 'string', default: '25' } }, allowPositionals: true });
if (!values.resolver || positionals.length !== 1) {
  console.error('usage: mx-connect.mjs --resolver ADDRESS [--port 25] RECIPIENT');
  process.exit(2);
}
const recipient = positionals[0];
const resolver = new Resolver({ timeout: 3000, tries: 1 });
resolver.setServers([values.resolver]);

// The policy cache a real sender keeps (RFC 8461 §5.1); here it lives as long as the delivery.
const stored = new Map();
const cache = { get: async (domain) => stored.get(domain), set: async (domain, policy) => void stored.set(domain, policy) };

function describePolicy(policy) {
  const why = policy.error ? ` (${policy.error.message})` : '';
  return policy.mode === 'none' ? `none${why}` : `${policy.mode} (id ${policy.id}, mx ${policy.mx.join(' ')})${why}`;
}

let connection;
try {
  connection = await mxConnect({
    target: recipient,
    port: Number(values.port),
    maxConnectTime: 5000,
    dnsOptions: { resolveRecords: (name, type) => resolver.resolve(name, type) },
    mtaSts: {
      enabled: true,
      cache,
      logger: (entry) => console.log(`mta-sts: ${entry.msg}${entry.mode ? ` (mode ${entry.mode})` : ''}${entry.error ? `: ${entry.error.message ?? entry.error}` : ''}`),
    },
  });
} catch (error) {
  console.log(`not delivered: ${error.message}`);
  process.exit(1);
}
const domain = recipient.split('@').pop();
const policy = (await cache.get(domain)) ?? { mode: 'none' };
console.log(`policy: ${describePolicy(policy)}`);
console.log(`connected to ${connection.hostname}[${connection.host}]:${connection.port}`);

const enforce = policy.mode === 'enforce';
// What the certificate check found, to report in testing mode (Node asks only once the chain verified).
let verification = 'the chain did not verify';
const transport = nodemailer.createTransport({
  host: connection.hostname,
  port: connection.port,
  name: 'client.example.test',
  requireTLS: enforce,
  // enforce: a certificate the MX's name verifies, or no delivery; otherwise TLS as offered.
  tls: {
    servername: connection.hostname,
    rejectUnauthorized: enforce,
    checkServerIdentity(host, certificate) {
      const mismatch = checkServerIdentity(host, certificate);
      verification = mismatch ? mismatch.message : 'verified';
      return mismatch;
    },
  },
  getSocket: (options, callback) => callback(null, { connection: connection.socket }),
});
transport.on('log', () => undefined);
try {
  const info = await transport.sendMail({ from: 'sender@client.example.test', to: recipient, subject: 'broken-mta', text: 'hello\n' });
  console.log(verification === 'verified' ? `certificate verified for ${connection.hostname}` : `certificate not verified: ${verification}`);
  console.log(`delivered: ${info.response}`);
} catch (error) {
  console.log(`not delivered: ${error.message}`);
  process.exit(1);
} finally {
  transport.close();
}
