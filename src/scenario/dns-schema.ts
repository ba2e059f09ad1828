// A scenario's `dns` section: the domain broken-mta serves for it (`serve --domain`), whose
// MX hosts are this scenario's servers and whose TLSA records (RFC 6698, DANE for SMTP: RFC
// 7672) pin their certificates, rightly or wrongly. src/domain.ts turns it into zones for
// src/dns/ (Knot and unbound).
import { z } from 'zod';
import { TLSA_MATCHING, TLSA_SELECTORS, TLSA_USAGES } from '../dns/tlsa.js';

const tlsa = z
  .strictObject({
    usage: z.literal(TLSA_USAGES).describe('2 DANE-TA (pins an issuer), 3 DANE-EE (pins the server certificate); 0 and 1 (PKIX) are not for SMTP (RFC 7672 §3.1.3)'),
    selector: z.literal(TLSA_SELECTORS).describe('0 the full certificate, 1 its public key (SubjectPublicKeyInfo)'),
    matching: z.literal(TLSA_MATCHING).describe('0 exact bytes, 1 SHA-256, 2 SHA-512'),
    pins: z.enum(['certificate', 'issuer']).default('certificate').describe("certificate: the server's own; issuer: the first CA certificate the server sends after it (a tls.cert that sends one: good-chain)"),
    stale: z.boolean().default(false).describe('Publish a digest of no certificate served (one byte changed), as after a certificate change without a TLSA update'),
  })
  .describe('A TLSA record at _25._tcp.HOST');

const mxHost = z
  .strictObject({
    host: z
      .string()
      .regex(/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/, 'one label: lower-case letters, digits and dashes')
      .describe('The MX host, below the domain (mx1 stands for mx1.DOMAIN); each is a server of this scenario on a loopback address of its own, port 25'),
    preference: z.number().int().min(0).max(65535).optional().describe('The MX preference (lower is tried first); 10, 20, ... in order by default'),
    tlsa: z.array(tlsa).default([]).describe('Its TLSA records; none: the host has no DANE'),
    tlsaLookup: z
      .literal('servfail')
      .optional()
      .describe('servfail: its TLSA records lie in a zone whose DS in the parent matches no key, so a validating resolver answers SERVFAIL'),
  })
  .describe('One MX host of the domain');

export const dnsSection = z
  .strictObject({
    dnssec: z.enum(['signed', 'unsigned']).default('signed').describe('signed: the zone is DNSSEC-signed (ECDSA P-256) under the trust anchor broken-mta writes; unsigned: no signatures, so its answers are insecure and DANE does not apply'),
    mx: z.array(mxHost).min(1).describe('The MX hosts, in order'),
  })
  .superRefine((dns, ctx) => {
    const hosts = dns.mx.map((mx) => mx.host);
    hosts.forEach((host, index) => {
      if (hosts.indexOf(host) !== index) ctx.addIssue({ code: 'custom', path: ['mx', index, 'host'], message: `${host} is named twice` });
    });
  })
  .describe('The domain served for this scenario (serve --domain): MX hosts, TLSA records, DNSSEC');

export type DnsSettings = z.output<typeof dnsSection>;
