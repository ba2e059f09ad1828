// From a scenario's tls section to the scripted engine's settings, once per server:
// parsing the key and the chain on every handshake would cost more than the handshake's
// own RSA signature. It lives here, in the SMTP layer, because it is the one place that
// knows both the scenario's words and the engine's.
import { createPrivateKey } from 'node:crypto';
import type { ServedCertificate } from '../certs/cache.js';
import { derChain } from '../certs/der.js';
import type { TlsSettings } from '../scenario/schema.js';
import { alertNumber } from '../tls/alerts.js';
import type { EngineConfig, EngineScript } from '../tls/engine/engine.js';
import { DH_GROUP_NAMES, dhGroup, dhGroupFromFile, type DhGroupName } from '../tls/engine/groups.js';
import { DEFAULT_SUITES, findSuite, type CipherSuite } from '../tls/engine/suites.js';
import { DEFAULT_ENGINE_VERSIONS, isEngineVersion } from '../tls/versions.js';

export function scriptedEngineConfig(tls: TlsSettings, certificate: ServedCertificate): EngineConfig {
  const versions = tls.versions?.filter(isEngineVersion) ?? DEFAULT_ENGINE_VERSIONS;
  const suites = tls.ciphers ? tls.ciphers.split(':').map((name) => findSuite(name)).filter((suite): suite is CipherSuite => suite !== undefined) : DEFAULT_SUITES;
  // A file was checked when the scenario was loaded (load.ts), and its path made absolute.
  const group = typeof tls.dh === 'object' ? dhGroupFromFile(tls.dh.file) : dhGroup(dhGroupName(tls.dh ?? 2048));
  return { versions, suites, group, key: createPrivateKey(certificate.key), chain: derChain(certificate.chain), script: engineScript(tls.script) };
}

function engineScript(script: TlsSettings['script']): EngineScript {
  const result: EngineScript = {};
  if (script?.alertAfter) {
    const { step, alert } = script.alertAfter;
    result.alertAfter = { step, alert: alertNumber(alert) };
  }
  if (script?.stopAfter) result.stopAfter = script.stopAfter;
  if (script?.corrupt) result.corrupt = script.corrupt;
  if (script?.omitRenegotiationInfo) result.omitRenegotiationInfo = true;
  return result;
}

/** The schema let only the engine's groups through: 512 is the group named "512". */
function dhGroupName(dh: string | number): DhGroupName {
  const name = DH_GROUP_NAMES.find((known) => known === String(dh));
  if (name === undefined) throw new Error(`the scripted engine has no DH group ${dh}`);
  return name;
}
