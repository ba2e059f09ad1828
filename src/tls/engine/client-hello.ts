// The ClientHellos the scripted client sends where OpenSSL 3's client will not: SSLv3, TLS
// 1.0 with RC4 and 3DES, no renegotiation_info. Only the choice of fields is here; the
// encoder is messages.ts's clientHello().
import { randomBytes } from 'node:crypto';
import { clientExtension, clientHello, type Extension } from './messages.js';
import { KNOWN_SUITES, VERSION_CODES, versionName, type ProtocolVersion } from './suites.js';

export interface ScriptedHelloSpec {
  /** The versions offered; the highest is the hello's client_version. */
  versions: readonly ProtocolVersion[];
  /** Suite names (IANA's or OpenSSL's), in the client's order. */
  suites: readonly string[];
  /** server_name to send, if any (never an IP address, RFC 6066 §3). */
  serverName?: string;
  /** Send an empty renegotiation_info (RFC 5746), as every client since 2010 does. */
  renegotiationInfo: boolean;
}

/** The suite code for a name, or undefined for a name no table here knows. */
export function suiteCode(name: string): number | undefined {
  return KNOWN_SUITES.find((suite) => suite.name === name || suite.openssl === name)?.code;
}

/** The hello's handshake message, and what the events say of it. */
export function scriptedHello(spec: ScriptedHelloSpec, random = randomBytes(32)): { message: Buffer; version: string; offered: string[]; suites: number } {
  const version = Math.max(...spec.versions.map((name) => VERSION_CODES[name]));
  const cipherSuites = spec.suites.map((name) => suiteCode(name)!).filter((code) => code !== undefined);
  // An SSLv3 hello carries no extensions (they came with TLS); a TLS one carries a few.
  const extensions: Extension[] | undefined =
    version === 0x0300
      ? undefined
      : [...(spec.serverName ? [clientExtension.serverName(spec.serverName)] : []), ...(spec.renegotiationInfo ? [clientExtension.renegotiationInfo()] : [])];
  const message = clientHello({ version, random, cipherSuites, ...(extensions ? { extensions } : {}) });
  const offered = [...spec.versions].sort((a, b) => VERSION_CODES[b] - VERSION_CODES[a]);
  return { message, version: versionName(version), offered, suites: cipherSuites.length };
}
