// What the scripted engine is told: the versions, suites, DH group, certificate and key it
// serves, and the script of its misbehaviour, step by step of the handshake.
import type { KeyObject } from 'node:crypto';
import type { DhGroup } from './groups.js';
import type { CipherSuite, ProtocolVersion } from './suites.js';

export const HANDSHAKE_STEPS = [
  'ClientHello',
  'ServerHello',
  'Certificate',
  'ServerKeyExchange',
  'ServerHelloDone',
  'ClientKeyExchange',
  'ClientFinished',
  'ServerFinished',
] as const;
export type HandshakeStep = (typeof HANDSHAKE_STEPS)[number];

export interface EngineScript {
  /** Send this fatal alert right after the step, then close. */
  alertAfter?: { step: HandshakeStep; alert: number };
  /** Say nothing more after the step. */
  stopAfter?: HandshakeStep;
  /** Spoil a message: the ServerKeyExchange signature, or the server's Finished. */
  corrupt?: 'ske-signature' | 'finished';
  /** Answer as a server from before RFC 5746 does: no renegotiation_info in the ServerHello. */
  omitRenegotiationInfo?: boolean;
}

export interface EngineConfig {
  /** The versions served; the highest one the client offers is chosen. */
  versions: readonly ProtocolVersion[];
  /** In the server's order of preference. */
  suites: readonly CipherSuite[];
  group: DhGroup;
  /** PEM or KeyObject of the certificate's RSA key. */
  key: string | KeyObject;
  /** DER certificates, leaf first. */
  chain: readonly Buffer[];
  script?: EngineScript;
  /** Every random byte the engine uses (server random, DH exponent, CBC IVs): tests fix it to get the same bytes every run. */
  randomBytes?: (length: number) => Buffer;
}
