// How each kind of client is run against a scenario: the catalogue's default invocation
// and its translation of every setting a claim may name. This is the one home of those
// command lines: `show` prints them, the README's matrix table is made from them, and the
// test suite runs exactly what `show` prints.
import type { SettingName, Settings } from './settings.js';
import { AUTH_SECRET, AUTH_USER, EIGHT_BIT_HEADER, EIGHT_BIT_TEXT, FROM, HELO, pacedTransaction, smtpTransaction, TO } from './transaction.js';

export { AUTH_SECRET, AUTH_USER, EIGHT_BIT_TEXT, FROM, HELO, TO } from './transaction.js';

/** Where the client is pointed; every field is text, so placeholders ({host}) fit too. */
export interface Target {
  host: string;
  port: string;
  /** The test CA's certificate file. */
  ca: string;
  /** The server's name, as its certificates carry it. */
  hostname: string;
  /** The test CA's client certificate and key (`broken-mta certs --client`). */
  clientCert: string;
  clientKey: string;
}

/** A program run from a shell: what `show` prints is what the suite runs. */
export interface CommandInvocation {
  kind: 'command';
  argv: string[];
  /** A shell command whose output is the client's input; none: the input is empty. */
  stdin?: string;
  /** How long the suite lets it run before it kills it. */
  timeoutMs: number;
}

/**
 * An MTA that sends one message through its own configuration (the README's sendmail
 * recipe): its access map entries, its command-line options, and whether this run is a
 * queue run (a retry of what an earlier attempt left queued) rather than a new message.
 */
export interface MtaInvocation {
  kind: 'sendmail';
  access: string[];
  options: string[];
  to: string[];
  /** The message body's size, when the claim asks for a large one. */
  bodyBytes?: number;
  /** The body is 8-bit text (EIGHT_BIT_TEXT), declared as such. */
  eightBit?: boolean;
  queueRun: boolean;
  timeoutMs: number;
}

export type Invocation = CommandInvocation | MtaInvocation;

export type TlsMode = NonNullable<Settings['tls']>;
const ALL_TLS_MODES: readonly TlsMode[] = ['none', 'optional', 'required', 'implicit'];

export interface ClientKind {
  name: string;
  /** The program that must be installed. */
  program: string;
  /** The settings this client can express. */
  settings: readonly SettingName[];
  /** The values of `tls` it can express. */
  tlsModes: readonly TlsMode[];
  /** Whether it writes a log of its own (syslog) that a claim can quote with `logs`. */
  hasLog: boolean;
  /** The command for one run; `attempt` counts runs against the same server, from 1. */
  invoke(settings: Settings, target: Target, attempt: number): Invocation;
}

const recipients = (settings: Settings) => [settings.to ?? TO].flat();

const withTimeout = (settings: Settings, argv: string[]) => (settings.timeout ? ['timeout', String(settings.timeout), ...argv] : argv);

/** The OpenSSL cipher list the settings ask for (suites, security level), for every OpenSSL-based client; undefined: the client's own. */
function opensslCipherList({ ciphers, securityLevel }: Settings): string | undefined {
  if (securityLevel === undefined) return ciphers;
  return ciphers ? `${ciphers}:@SECLEVEL=${securityLevel}` : `DEFAULT@SECLEVEL=${securityLevel}`;
}

const openssl: ClientKind = {
  name: 'openssl',
  program: 'openssl',
  settings: ['tls', 'verify', 'verifyHostname', 'securityLevel', 'version', 'ciphers', 'legacyRenegotiation', 'clientCert', 'timeout', 'sendMail', 'bdat', 'to'],
  // s_client speaks TLS or nothing: STARTTLS (its default) or implicit TLS.
  tlsModes: ['required', 'implicit'],
  hasLog: false,
  invoke(settings, target) {
    const argv = ['openssl', 's_client', ...(settings.tls === 'implicit' ? [] : ['-starttls', 'smtp']), '-crlf', '-connect', `${target.host}:${target.port}`, '-CAfile', target.ca];
    if (settings.verify) argv.push('-verify_return_error');
    if (settings.verifyHostname) argv.push('-verify_hostname', target.hostname);
    const cipherList = opensslCipherList(settings);
    if (cipherList) argv.push('-cipher', cipherList);
    if (settings.version) argv.push({ TLSv1: '-tls1', 'TLSv1.1': '-tls1_1', 'TLSv1.2': '-tls1_2', 'TLSv1.3': '-tls1_3' }[settings.version]);
    if (settings.legacyRenegotiation) argv.push('-legacy_server_connect');
    if (settings.clientCert) argv.push('-cert', target.clientCert, '-key', target.clientKey);
    // -ign_eof: read the server's replies after the input ends, until it closes.
    const sendMail = settings.sendMail || settings.bdat;
    if (sendMail) argv.push('-ign_eof');
    return {
      kind: 'command',
      argv: withTimeout(settings, argv),
      ...(sendMail ? { stdin: smtpTransaction(recipients(settings), { bdat: settings.bdat }) } : {}),
      timeoutMs: 15_000,
    };
  },
};

const gnutls: ClientKind = {
  name: 'gnutls',
  program: 'gnutls-cli',
  settings: ['tls', 'verify', 'dhBits', 'priority', 'clientCert', 'timeout', 'sendMail', 'to'],
  tlsModes: ['required', 'implicit'],
  hasLog: false,
  invoke(settings, target) {
    const argv = ['gnutls-cli', ...(settings.tls === 'implicit' ? [] : ['--starttls-proto=smtp']), '--port', target.port, '--x509cafile', target.ca];
    if (settings.verify === false) argv.push('--insecure');
    if (settings.dhBits) argv.push(`--dh-bits=${settings.dhBits}`);
    if (settings.priority) argv.push(`--priority=${settings.priority}`);
    if (settings.clientCert) argv.push('--x509certfile', target.clientCert, '--x509keyfile', target.clientKey);
    argv.push(target.host);
    return {
      kind: 'command',
      argv: withTimeout(settings, argv),
      ...(settings.sendMail ? { stdin: pacedTransaction(recipients(settings)) } : {}),
      timeoutMs: 15_000,
    };
  },
};

const SWAKS_TLS = { none: [], optional: ['--tls-optional-strict'], required: ['--tls'], implicit: ['--tls-on-connect'] } as const;

const swaks: ClientKind = {
  name: 'swaks',
  program: 'swaks',
  settings: ['tls', 'verify', 'ciphers', 'clientCert', 'timeout', 'to', 'messageBytes', 'eightBit', 'auth'],
  tlsModes: ALL_TLS_MODES,
  hasLog: false,
  invoke(settings, target) {
    const tls = SWAKS_TLS[settings.tls ?? 'optional'];
    const auth = settings.auth ? ['--auth', ...(settings.auth === 'any' ? [] : [settings.auth]), '--auth-user', AUTH_USER, '--auth-password', AUTH_SECRET] : [];
    const argv = ['swaks', '--server', `${target.host}:${target.port}`, '--from', FROM, '--to', recipients(settings).join(','), ...tls];
    if (tls.length && settings.verify !== false) argv.push('--tls-verify', '--tls-ca-path', target.ca);
    if (settings.ciphers) argv.push('--tls-cipher', settings.ciphers);
    if (settings.clientCert) argv.push('--tls-cert', target.clientCert, '--tls-key', target.clientKey);
    argv.push('--timeout', String(settings.timeout ?? 5));
    if (settings.messageBytes) argv.push('--body', '-');
    if (settings.eightBit) argv.push('--body', EIGHT_BIT_TEXT);
    argv.push(...auth);
    return {
      kind: 'command',
      argv,
      ...(settings.messageBytes ? { stdin: `head -c ${settings.messageBytes} /dev/zero | tr '\\0' x` } : {}),
      timeoutMs: 30_000 + (settings.timeout ?? 0) * 4000,
    };
  },
};

// nodemailer is a library: a few lines of Node send one message and print what came of it,
// the error's message and code as an application would log them. One line, to paste.
const NODEMAILER_SCRIPT = [
  'import { readFileSync } from "node:fs";',
  'import nodemailer from "nodemailer";',
  'const { transport, message, textBytes } = JSON.parse(process.argv[1]);',
  'for (const key of ["ca", "cert", "key"]) if (transport.tls[key]) transport.tls[key] = readFileSync(transport.tls[key]);',
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

const nodemailer: ClientKind = {
  name: 'nodemailer',
  program: 'node',
  settings: ['tls', 'verify', 'securityLevel', 'version', 'ciphers', 'clientCert', 'timeout', 'to', 'messageBytes', 'eightBit', 'auth'],
  tlsModes: ALL_TLS_MODES,
  hasLog: false,
  invoke(settings, target) {
    const timeoutMs = (settings.timeout ?? 5) * 1000;
    const tls: Record<string, unknown> = { ca: target.ca, servername: target.hostname };
    if (settings.verify === false) tls.rejectUnauthorized = false;
    const cipherList = opensslCipherList(settings);
    if (cipherList) tls.ciphers = cipherList;
    if (settings.version) Object.assign(tls, { minVersion: settings.version, maxVersion: settings.version });
    if (settings.clientCert) Object.assign(tls, { cert: target.clientCert, key: target.clientKey });
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

const sendmail: ClientKind = {
  name: 'sendmail',
  program: 'sendmail',
  settings: ['tls', 'verify', 'securityLevel', 'ciphers', 'fallback', 'queueRun', 'timeout', 'to', 'messageBytes', 'eightBit'],
  // Implicit TLS is a mailer setting of its own (smtps), not one message's.
  tlsModes: ['none', 'optional', 'required'],
  hasLog: true,
  invoke(settings, target, attempt) {
    const access: string[] = [];
    const options: string[] = [];
    if (settings.tls === 'none') access.push(`Try_TLS:${target.host}\tNO`);
    if (settings.tls === 'required') access.push(`TLS_Srv:${target.host}\tENCR:128`);
    if (settings.verify) access.push(`TLS_Srv:${target.host}\tVERIFY`);
    if (settings.fallback) options.push('-OTLSFallbacktoClear=true');
    const cipherList = opensslCipherList(settings);
    if (cipherList) options.push(`-OCipherList=${cipherList}`);
    if (settings.timeout) {
      for (const stage of ['initial', 'helo', 'mail', 'rcpt', 'datainit', 'datablock', 'datafinal', 'starttls']) options.push(`-OTimeout.${stage}=${settings.timeout}s`);
    }
    return {
      kind: 'sendmail',
      access,
      options,
      to: recipients(settings),
      ...(settings.messageBytes ? { bodyBytes: settings.messageBytes } : {}),
      ...(settings.eightBit ? { eightBit: true } : {}),
      queueRun: Boolean(settings.queueRun) && attempt > 1,
      timeoutMs: 60_000,
    };
  },
};

// Python's smtplib, as an application uses it: one message with send_message(), inside
// `with` (QUIT at the end), STARTTLS when offered (or as `tls` says), authenticated as
// `auth` says (with smtplib's own authobjects), and what came of it printed as the
// application would log it: the exception's class and text. send_message() is what checks
// that the server offers SMTPUTF8 for an international address. The script goes in on
// stdin, a line a word, so the command stays one line to paste.
const SMTPLIB_SCRIPT = [
  'import json, smtplib, ssl, sys',
  'from email.message import EmailMessage',
  'o = json.loads(sys.argv[1])',
  'context = ssl.create_default_context(cafile=o["ca"])',
  'if not o["verify"]: context.check_hostname = False; context.verify_mode = ssl.CERT_NONE',
  'if o["cert"]: context.load_cert_chain(o["cert"], o["key"])',
  'message = EmailMessage()',
  'message["From"], message["To"], message["Subject"] = o["from"], ", ".join(o["to"]), "broken-mta"',
  'message.set_content(o["text"] or ("x" * o["bytes"] if o["bytes"] else "hello"))',
  'def login(smtp, auth):',
  '  smtp.user, smtp.password = auth["user"], auth["password"]',
  '  if auth["mechanism"] == "any": return smtp.login(smtp.user, smtp.password)',
  '  token = "user=" + smtp.user + "\\x01auth=Bearer " + smtp.password + "\\x01\\x01"',
  '  if auth["mechanism"] == "XOAUTH2": return smtp.auth("XOAUTH2", lambda challenge=None: token if challenge is None else "")',
  '  smtp.auth(auth["mechanism"], getattr(smtp, "auth_" + auth["mechanism"].lower()))',
  'implicit = o["tls"] == "implicit"',
  'connect, extra = (smtplib.SMTP_SSL, {"context": context}) if implicit else (smtplib.SMTP, {})',
  'try:',
  '  with connect(o["host"], o["port"], local_hostname=o["helo"], timeout=o["timeout"], **extra) as smtp:',
  '    smtp.ehlo()',
  '    if o["tls"] == "required" or (o["tls"] == "offered" and smtp.has_extn("starttls")):',
  '      smtp.starttls(context=context)',
  '      smtp.ehlo()',
  '    if o["auth"]: login(smtp, o["auth"])',
  '    refused = smtp.send_message(message, o["from"], o["to"])',
  '    print("sent", *["refused: " + rcpt + " " + str(code) for rcpt, (code, text) in refused.items()])',
  'except Exception as error:',
  '  print(type(error).__name__ + ": " + str(error))',
  '  sys.exit(1)',
];

const smtplib: ClientKind = {
  name: 'smtplib',
  program: 'python3',
  settings: ['tls', 'verify', 'clientCert', 'timeout', 'to', 'messageBytes', 'eightBit', 'auth'],
  // Without `tls` it takes STARTTLS when offered and fails when it is refused, as the
  // example client does; it has no fallback to plaintext of its own.
  tlsModes: ['none', 'required', 'implicit'],
  hasLog: false,
  invoke(settings, target) {
    const timeout = settings.timeout ?? 5;
    const options = {
      host: target.host,
      port: Number(target.port) || target.port,
      helo: HELO,
      tls: settings.tls ?? 'offered',
      verify: settings.verify !== false,
      ca: target.ca,
      cert: settings.clientCert ? target.clientCert : null,
      key: settings.clientCert ? target.clientKey : null,
      timeout,
      from: FROM,
      to: recipients(settings),
      bytes: settings.messageBytes ?? 0,
      // EmailMessage sends UTF-8 text as it is (Content-Transfer-Encoding: 8bit).
      text: settings.eightBit ? EIGHT_BIT_TEXT : '',
      auth: settings.auth ? { mechanism: settings.auth, user: AUTH_USER, password: AUTH_SECRET } : null,
    };
    const stdin = `printf '%s\\n' ${SMTPLIB_SCRIPT.map(shellWord).join(' ')}`;
    return { kind: 'command', argv: ['python3', '-', JSON.stringify(options)], stdin, timeoutMs: 3 * timeout * 1000 + 15_000 };
  },
};

export const CLIENT_KINDS = [openssl, gnutls, swaks, nodemailer, sendmail, smtplib] as const;
export const CLIENT_NAMES = CLIENT_KINDS.map((kind) => kind.name) as ['openssl', 'gnutls', 'swaks', 'nodemailer', 'sendmail', 'smtplib'];
export type ClientName = (typeof CLIENT_NAMES)[number];

export function clientKind(name: string): ClientKind | undefined {
  return CLIENT_KINDS.find((kind) => kind.name === name);
}

/** A word for a POSIX shell, quoted only when it must be. */
export function shellWord(word: string): string {
  return /^[\w@%+=:,./{}-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

/** The command line to paste into a shell (and the one the suite runs with sh -c). */
export function commandLine(invocation: CommandInvocation): string {
  const command = invocation.argv.map(shellWord).join(' ');
  return invocation.stdin ? `${invocation.stdin} | ${command}` : `${command} </dev/null`;
}

/** The README recipe's sendmail, as an admin runs it: the access map, then one message or a queue run. */
export function sendmailLines(invocation: MtaInvocation): string[] {
  const lines: string[] = [];
  if (invocation.access.length) {
    const entries = invocation.access.map((entry) => entry.replace('\t', '\\t')).join('\\n');
    lines.push(`printf '${entries}\\n' > /tmp/sm/access && makemap hash /tmp/sm/access < /tmp/sm/access`);
  }
  const common = ['-v', '-Am', '-C', 'sendmail.cf', ...invocation.options];
  const sendmailArgs = invocation.queueRun ? [...common, '-q'] : [...common, '-ODeliveryMode=i', '-f', FROM, ...invocation.to];
  const inner = `hostname ${HELO}; exec sendmail ${sendmailArgs.map(shellWord).join(' ')}`;
  const message = invocation.bodyBytes
    ? `{ printf 'Subject: broken-mta\\n\\n'; head -c ${invocation.bodyBytes} /dev/zero | tr '\\0' x; }`
    : invocation.eightBit
      ? `printf '${[...EIGHT_BIT_HEADER, '', EIGHT_BIT_TEXT, ''].join('\\n')}'`
      : `printf 'Subject: broken-mta\\n\\nhello\\n'`;
  lines.push(invocation.queueRun ? `unshare -u sh -c ${shellWord(inner)}` : `${message} | unshare -u sh -c ${shellWord(inner)}`);
  return lines;
}

export function invocationLines(invocation: Invocation): string[] {
  return invocation.kind === 'command' ? [commandLine(invocation)] : sendmailLines(invocation);
}

/** The target as the README and `--help` write commands: placeholders `matrix` fills in. */
export const PLACEHOLDERS: Target = { host: '{host}', port: '{port}', ca: '{ca}', hostname: 'mx.broken-mta.test', clientCert: '{cert}', clientKey: '{key}' };
