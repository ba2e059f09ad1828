// Generates every certificate once, before the workers start, so tests running side by
// side never wait on each other's key generation.
import { CertificateCache } from '../../src/certs/cache.js';
import { CERT_PROFILE_NAMES } from '../../src/certs/profiles.js';
import { DEFAULT_HOSTNAME, defaultCertDir } from '../../src/index.js';

export default async function setup(): Promise<void> {
  const cache = new CertificateCache(defaultCertDir(), DEFAULT_HOSTNAME);
  for (const profile of CERT_PROFILE_NAMES) await cache.get(profile);
}
