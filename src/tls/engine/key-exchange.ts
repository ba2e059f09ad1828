// The key exchange, as one small interface with an implementation per kind: what the
// server sends after its Certificate (the ServerKeyExchange, or nothing for static RSA),
// and the premaster secret it makes of the client's ClientKeyExchange. What a method keeps
// between the two (a DH exponent, the RSA key) is the data of the engine's
// wait-client-key-exchange state. The methods: dhe-key-exchange.ts, rsa-key-exchange.ts;
// handshake.ts picks one by the suite.
import type { KeyObject } from 'node:crypto';
import type { DhGroup } from './groups.js';
import type { ClientHello } from './messages.js';
import type { CipherSuite } from './suites.js';

export interface KeyExchangeInput {
  hello: ClientHello;
  serverRandom: Buffer;
  /** The version chosen. */
  version: number;
  group: DhGroup;
  /** The certificate's RSA key. */
  key: KeyObject;
  random: (length: number) => Buffer;
  /** Spoil the ServerKeyExchange signature (script: corrupt: ske-signature). */
  corrupt: boolean;
}

/** What the server holds from its side of the key exchange until the client's arrives. */
export interface PendingKeyExchange {
  readonly kind: CipherSuite['keyExchange'];
  /** What the client's security rests on: the DH modulus, or the RSA key the premaster is encrypted to. */
  readonly bits: number;
  /** The premaster secret, from the ClientKeyExchange's body. */
  premasterSecret(clientKeyExchange: Buffer): Buffer;
}

export interface KeyExchangeStart {
  /** The ServerKeyExchange message; none when the certificate's key is the key exchange (static RSA). */
  message?: Buffer;
  pending: PendingKeyExchange;
}

export interface KeyExchangeMethod {
  start(input: KeyExchangeInput): KeyExchangeStart;
}

/** What the key exchange rested on, for the events: the DH group's size or the RSA key's. */
export interface KeyExchangeSummary {
  kind: PendingKeyExchange['kind'];
  bits: number;
}
