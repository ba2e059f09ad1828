// Before the workers start: a temp folder and a certificate cache that belong to this run.
//
// - TMPDIR points into a folder of the run's own, which every test must leave empty: the
//   teardown fails the run (and removes them, since some hold test-CA keys) when anything
//   is left, naming it. A folder of its own keeps other runs on the machine out of the count.
// - $BROKEN_MTA_CERTS points at the checkout's certs/ (see certs/README.md), so the suite
//   never writes to the developer's own cache (~/.cache/broken-mta) and a warm cache
//   survives from run to run. Every certificate is made once here, so tests running side by
//   side never wait on each other's key generation.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CertificateCache } from '../../src/certs/cache.js';
import { CERT_PROFILE_NAMES } from '../../src/certs/profiles.js';
import { DEFAULT_HOSTNAME, defaultCertDir } from '../../src/index.js';

const TEST_CERTS = join(import.meta.dirname, '..', '..', 'certs');

/** Set by the first setup of a run: vitest runs this file once per project, in one process. */
const RUN_TMP = 'BROKEN_MTA_TEST_RUN_TMP';

export default async function setup(): Promise<() => void> {
  // A later project of the same run shares the first one's folder, whose teardown checks it.
  if (process.env[RUN_TMP]) return () => undefined;
  const runTmp = mkdtempSync(join(tmpdir(), 'broken-mta-test-run-'));
  process.env[RUN_TMP] = runTmp;
  process.env.TMPDIR = runTmp;
  process.env.BROKEN_MTA_CERTS = TEST_CERTS;
  const cache = new CertificateCache(defaultCertDir(), DEFAULT_HOSTNAME);
  for (const profile of CERT_PROFILE_NAMES) await cache.get(profile);
  return () => {
    const left = readdirSync(runTmp);
    rmSync(runTmp, { recursive: true, force: true });
    if (left.length === 0) return;
    // A throw here is only logged; the exit code is what CI reads.
    process.stderr.write(`\nthe tests left ${left.length} entries in the temp folder (removed now): ${left.sort().join(', ')}\n`);
    process.exitCode = 1;
  };
}
