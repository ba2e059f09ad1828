// The protocol versions a scenario may name, from the engine's own list: the scripted
// engine serves SSLv3 (its hello) to TLS 1.2; Node serves TLS 1.0 to 1.3.
import { PROTOCOL_VERSIONS, type ProtocolVersion } from './engine/suites.js';

export const TLS_VERSIONS = [...PROTOCOL_VERSIONS, 'TLSv1.3'] as const;
export type TlsVersion = (typeof TLS_VERSIONS)[number];

/** What Node's TLS can serve, oldest first. */
export const NODE_TLS_VERSIONS = TLS_VERSIONS.filter((version) => version !== 'SSLv3');

/** What the engine serves when a scenario names no versions (SSLv3 only on request). */
export const DEFAULT_ENGINE_VERSIONS: readonly ProtocolVersion[] = PROTOCOL_VERSIONS.filter((version) => version !== 'SSLv3');

export function isEngineVersion(version: TlsVersion): version is ProtocolVersion {
  return version !== 'TLSv1.3';
}
