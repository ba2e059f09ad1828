// How a claim's client is run when it is not run the catalogue's default way: one
// vocabulary of intents ("require TLS", "verify the certificate", "security level 1") that
// every kind of client translates into its own flags (src/claims/clients.ts). A new kind
// (Postfix, Exim) brings its translations, not new words; a claim that names a setting its
// client cannot express is refused by the schema, at that field.
import { z } from 'zod';

export const TLS_VERSIONS = ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'] as const;

const address = z.string().regex(/^[^\s@<>]+@[^\s@<>]+$/, 'an address such as nobody@mx.broken-mta.test');

export const settingsSchema = z
  .strictObject({
    tls: z
      .enum(['none', 'optional', 'required', 'implicit'])
      .optional()
      .describe(
        'none: never STARTTLS; optional: STARTTLS when offered, on in plaintext when it is refused; required: TLS or nothing; implicit: TLS from the first byte (port 465 style)',
      ),
    verify: z.boolean().optional().describe("Whether an unverified certificate stops the client (true) or is only noted (false)"),
    verifyHostname: z.literal(true).optional().describe("Check the certificate's names against the server name too"),
    securityLevel: z.number().int().min(0).max(5).optional().describe("OpenSSL's security level (DEFAULT@SECLEVEL=N)"),
    version: z.enum(TLS_VERSIONS).optional().describe('Speak only this TLS version'),
    ciphers: z
      .string()
      .regex(/^[\w.+!@=:-]+$/, 'an OpenSSL cipher list such as NULL-SHA256 or AES128-SHA:DES-CBC3-SHA')
      .optional()
      .describe('Offer only these suites: an OpenSSL cipher list (with securityLevel, `:@SECLEVEL=N` follows it)'),
    priority: z
      .string()
      .regex(/^[\w.+!%:-]+$/, 'a GnuTLS priority string such as NORMAL:+RSA:+ARCFOUR-128')
      .optional()
      .describe('A GnuTLS priority string: what gnutls-cli offers and accepts (suites, key exchanges, versions)'),
    legacyRenegotiation: z.literal(true).optional().describe('Talk to a server without RFC 5746 secure renegotiation'),
    dhBits: z.number().int().min(256).max(8192).optional().describe('The smallest DH group the client accepts, in bits'),
    clientCert: z.literal(true).optional().describe('Present the client certificate from the test CA (`broken-mta certs --client`)'),
    sni: z.boolean().optional().describe("Name the server in SNI (true), or send no SNI at all (false)"),
    rsaOnly: z.literal(true).optional().describe('Accept only RSA signatures from the server, as a client from before ECDSA'),
    verifyDepth: z.number().int().min(0).max(100).optional().describe('The most certificates between the server and its trusted root that the client verifies'),
    oldTrustStore: z.literal(true).optional().describe('Trust the retired root instead of the test CA, as a trust store from before the test CA did'),
    crl: z.literal(true).optional().describe("Check revocation with the CRL the certificate's distribution point publishes (openssl fetches it; the others are given the file)"),
    requestStaple: z.literal(true).optional().describe("Ask the server to staple its CA's OCSP answer (status_request)"),
    timeout: z.number().int().min(1).max(300).optional().describe('Give up after this many seconds of silence (for openssl and gnutls-cli: killed by timeout(1))'),
    to: z.union([address, z.array(address).min(1)]).optional().describe('The recipient, or recipients'),
    messageBytes: z.number().int().min(1).max(1_000_000).optional().describe('A message body of this many bytes'),
    eightBit: z.literal(true).optional().describe('A body of UTF-8 text, sent as it is: 8-bit, without converting it to 7-bit'),
    auth: z
      .enum(['any', 'PLAIN', 'LOGIN', 'XOAUTH2'])
      .optional()
      .describe("Authenticate with the test credentials (the sender's address, a fixed password or token): with this mechanism, or any: the client's own choice"),
    sendMail: z.literal(true).optional().describe('(openssl, gnutls) Send a whole SMTP transaction after the handshake'),
    bdat: z
      .number()
      .int()
      .min(1)
      .max(100_000)
      .optional()
      .describe('(openssl) Send the whole transaction, the message with BDAT (RFC 3030) in chunks of whole lines, at most this many bytes each where a line allows'),
    fallback: z.literal(true).optional().describe('(sendmail) After a failed handshake, deliver in plaintext on a new connection'),
    mtaSts: z
      .literal(true)
      .optional()
      .describe("(postfix) Deliver to the scenario's domain (its MX, found through the test resolver) with postfix-mta-sts-resolver as smtp_tls_policy_maps"),
    queueRun: z.literal(true).optional().describe('(sendmail) Every attempt after the first is a queue run (sendmail -q): the retry of what the first left queued'),
  })
  .describe("How the client is run, where it differs from the catalogue's default invocation for that client");

export type Settings = z.output<typeof settingsSchema>;
export type SettingName = keyof Settings;
export const SETTING_NAMES = Object.keys(settingsSchema.shape) as SettingName[];
