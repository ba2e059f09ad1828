// What a client kind is, and what every kind shares: where it is pointed (Target), what
// one run of it is (Invocation), and the translations of settings that several kinds make
// alike. The kinds themselves are in kinds/, one file each; clients.ts is their registry.
import type { SettingName, Settings } from './settings.js';
import { TO } from './transaction.js';

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
  /** The retired root (expired-cross-root's), for a client with an old trust store. */
  retiredRoot: string;
  /** The CRL the served certificate's distribution point publishes, as a PEM file. */
  crl: string;
  /** The resolver that knows the scenario's domain (an MTA-STS or DANE scenario's), when there is one. */
  resolver?: string;
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

/** Postfix as examples/postfix/run.sh runs it: Debian's main.cf, the scenario as next hop,
 * `policy` its smtp_tls_policy_maps entry, `settings` main.cf lines (postconf -e). */
export interface PostfixInvocation {
  kind: 'postfix';
  nextHop: string;
  policy?: string;
  settings: string[];
  to: string[];
  bodyBytes?: number;
  timeoutMs: number;
}

/** Exim as examples/exim/run.sh runs it: Debian's smarthost configuration, the scenario as
 * dc_smarthost, `macros` for exim4.conf.localmacros, `options` in remote_smtp_smarthost. */
export interface EximInvocation {
  kind: 'exim';
  smarthost: string;
  macros: string[];
  options: string[];
  to: string[];
  bodyBytes?: number;
  timeoutMs: number;
}

export type Invocation = CommandInvocation | MtaInvocation | PostfixInvocation | EximInvocation;

export type TlsMode = NonNullable<Settings['tls']>;
export const ALL_TLS_MODES: readonly TlsMode[] = ['none', 'optional', 'required', 'implicit'];

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
  /**
   * For an MTA whose claims quote its log: a command (with matrix's placeholders) that
   * delivers one message to {host}:{port} and prints the lines the MTA logged about it, so
   * that `matrix --client` can read them. Without one, matrix refuses the kind.
   */
  logPrinter?: string;
  /** The command for one run; `attempt` counts runs against the same server, from 1. */
  invoke(settings: Settings, target: Target, attempt: number): Invocation;
}

export const recipients = (settings: Settings) => [settings.to ?? TO].flat();

/** The domain an MX host name serves: its parent (mx.broken-mta.test: broken-mta.test). */
export const domainOfHost = (hostname: string) => hostname.slice(hostname.indexOf('.') + 1);

/** What the client trusts: the test CA, or (oldTrustStore) only the retired root. */
export const trustedRoot = (settings: Settings, target: Target) => (settings.oldTrustStore ? target.retiredRoot : target.ca);

/** Signature schemes of RSA keys, by OpenSSL's and Node's names (rsaOnly). */
export const RSA_SIGNATURES = ['rsa_pss_rsae_sha256', 'rsa_pss_rsae_sha384', 'rsa_pkcs1_sha256', 'rsa_pkcs1_sha384'];

export const withTimeout = (settings: Settings, argv: string[]) => (settings.timeout ? ['timeout', String(settings.timeout), ...argv] : argv);

/** The OpenSSL cipher list the settings ask for (suites, security level), for every OpenSSL-based client; undefined: the client's own. */
export function opensslCipherList({ ciphers, securityLevel }: Settings): string | undefined {
  if (securityLevel === undefined) return ciphers;
  return ciphers ? `${ciphers}:@SECLEVEL=${securityLevel}` : `DEFAULT@SECLEVEL=${securityLevel}`;
}

/** A word for a POSIX shell, quoted only when it must be. */
export function shellWord(word: string): string {
  return /^[\w@%+=:,./{}-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}
