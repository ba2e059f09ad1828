import { AUTH_SECRET, AUTH_USER, EIGHT_BIT_HEADER, EIGHT_BIT_TEXT, FROM, HELO } from '../transaction.js';
import { ALL_TLS_MODES, type ClientKind, opensslCipherList, recipients, RSA_SIGNATURES, trustedRoot } from '../kind.js';
import type { Settings } from '../settings.js';

// nodemailer is a library: a few lines of Node send one message and print what came of it,
// the error's message and code as an application would log them. One line, to paste.
const NODEMAILER_SCRIPT = [
  'import { readFileSync } from "node:fs";',
  'import nodemailer from "nodemailer";',
  'const { transport, message, textBytes } = JSON.parse(process.argv[1]);',
  'for (const key of ["ca", "cert", "key", "crl"]) if (transport.tls[key]) transport.tls[key] = readFileSync(transport.tls[key]);',
  'if (textBytes) message.text = "x".repeat(textBytes);',
  'const client = nodemailer.createTransport(transport);',
  'try {',
  'const info = await client.sendMail(message);',
  'console.log(info.response);',
  'if (info.rejected.length) console.log(`rejected: ${info.rejected.join(", ")}`);',
  '} catch (error) {',
  'console.log(`Error: ${error.message.trim()}${error.code ? ` (code ${error.code})` : ""}`);',
  'process.exitCode = 1;',
  '} finally {',
  'client.close();',
  '}',
].join(' ');

const NODEMAILER_TLS = { none: { ignoreTLS: true }, optional: { opportunisticTLS: true }, required: { requireTLS: true }, implicit: { secure: true } } as const;

function nodemailerAuth(mechanism: NonNullable<Settings['auth']>): Record<string, unknown> {
  if (mechanism === 'XOAUTH2') return { auth: { type: 'OAuth2', user: AUTH_USER, accessToken: AUTH_SECRET } };
  return { auth: { user: AUTH_USER, pass: AUTH_SECRET }, ...(mechanism === 'any' ? {} : { authMethod: mechanism }) };
}

/** A message nodemailer sends as it is: its own encoders would make the body 7-bit. */
const eightBitMessage = (to: string[]) => ({
  envelope: { from: FROM, to },
  raw: [`From: ${FROM}`, `To: ${to.join(', ')}`, ...EIGHT_BIT_HEADER, '', EIGHT_BIT_TEXT, ''].join('\r\n'),
});

export const nodemailer: ClientKind = {
  name: 'nodemailer',
  program: 'node',
  settings: ['tls', 'verify', 'securityLevel', 'version', 'ciphers', 'clientCert', 'sni', 'rsaOnly', 'oldTrustStore', 'crl', 'requestStaple', 'timeout', 'to', 'messageBytes', 'eightBit', 'auth'],
  tlsModes: ALL_TLS_MODES,
  hasLog: false,
  invoke(settings, target) {
    const timeoutMs = (settings.timeout ?? 5) * 1000;
    // Named by default, as an application that knows its MX by name does; sni: false to an address names nothing.
    const tls: Record<string, unknown> = { ca: trustedRoot(settings, target), ...(settings.sni === false ? {} : { servername: target.hostname }) };
    if (settings.verify === false) tls.rejectUnauthorized = false;
    const cipherList = opensslCipherList(settings);
    if (cipherList) tls.ciphers = cipherList;
    if (settings.version) Object.assign(tls, { minVersion: settings.version, maxVersion: settings.version });
    if (settings.clientCert) Object.assign(tls, { cert: target.clientCert, key: target.clientKey });
    if (settings.rsaOnly) tls.sigalgs = RSA_SIGNATURES.join(':');
    if (settings.crl) tls.crl = target.crl;
    if (settings.requestStaple) tls.requestOCSP = true;
    const options = {
      transport: {
        host: target.host,
        port: Number(target.port) || target.port,
        name: HELO,
        ...(settings.tls ? NODEMAILER_TLS[settings.tls] : {}),
        connectionTimeout: timeoutMs,
        greetingTimeout: timeoutMs,
        socketTimeout: timeoutMs,
        tls,
        ...(settings.auth ? nodemailerAuth(settings.auth) : {}),
      },
      message: settings.eightBit ? eightBitMessage(recipients(settings)) : { from: FROM, to: recipients(settings), subject: 'broken-mta', text: 'hello' },
      ...(settings.messageBytes ? { textBytes: settings.messageBytes } : {}),
    };
    return { kind: 'command', argv: ['node', '--input-type=module', '-e', NODEMAILER_SCRIPT, JSON.stringify(options)], timeoutMs: 3 * timeoutMs + 15_000 };
  },
};
