// Generates every certificate once (but the ones made when a scenario serves them), before
// the workers start, so tests running side by
// side never wait on each other's key generation.
import { CertificateCache } from '../../src/certs/cache.js';
import { CERT_PROFILE_NAMES, CERT_PROFILES, madeWhenServed } from '../../src/certs/profiles.js';
import { DEFAULT_HOSTNAME, defaultCertDir } from '../../src/index.js';

export default async function setup(): Promise<void> {
  const cache = new CertificateCache(defaultCertDir(), DEFAULT_HOSTNAME);
  await cache.prepareAll();
  for (const profile of CERT_PROFILE_NAMES) if (!madeWhenServed(CERT_PROFILES[profile])) await cache.get(profile);
}
