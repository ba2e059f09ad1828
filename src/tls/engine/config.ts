// From a scenario's tls section to the engine's settings, once per server: parsing the key
// and the chain on every handshake would cost more than the handshake's own RSA signature.
import { createPrivateKey } from 'node:crypto';
import type { ServedCertificate } from '../../certs/cache.js';
import type { TlsSettings } from '../../scenario/schema.js';
import { alertCode } from '../alerts.js';
import type { EngineConfig, EngineScript } from './engine.js';
import { dhGroup, dhGroupFromFile, type DhGroupName } from './groups.js';
import { derChain } from './socket.js';
import { findSuite, SUITES, type CipherSuite, type ProtocolVersion } from './suites.js';

export const DEFAULT_ENGINE_VERSIONS: readonly ProtocolVersion[] = ['TLSv1', 'TLSv1.1', 'TLSv1.2'];

export function engineConfig(tls: TlsSettings, certificate: ServedCertificate): EngineConfig {
  const versions = (tls.versions ?? DEFAULT_ENGINE_VERSIONS).filter((version): version is ProtocolVersion => version !== 'TLSv1.3');
  const suites = tls.ciphers ? tls.ciphers.split(':').map((name) => findSuite(name)).filter((suite): suite is CipherSuite => suite !== undefined) : SUITES;
  // A file was checked when the scenario was loaded (load.ts), and its path made absolute.
  const group = typeof tls.dh === 'object' ? dhGroupFromFile(tls.dh.file) : dhGroup(String(tls.dh ?? 2048) as DhGroupName);
  const script: EngineScript = {};
  if (tls.script?.alertAfter) {
    const { step, alert } = tls.script.alertAfter;
    script.alertAfter = { step, alert: typeof alert === 'number' ? alert : alertNumber(alert) };
  }
  if (tls.script?.stopAfter) script.stopAfter = tls.script.stopAfter;
  if (tls.script?.corrupt) script.corrupt = tls.script.corrupt;
  if (tls.script?.omitRenegotiationInfo) script.omitRenegotiationInfo = true;
  return { versions, suites, group, key: createPrivateKey(certificate.key), chain: derChain(certificate.chain), script };
}

function alertNumber(name: string): number {
  const code = alertCode(name);
  if (code === undefined) throw new Error(`unknown alert ${name}`);
  return code;
}
