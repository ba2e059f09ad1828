import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Every server listens on port 0, so files can run side by side. Most of a test's time
    // is spent waiting on a client or a timeout, not on a core: more files at once than
    // vitest's default (cores - 1, which is one on a 2-core CI machine).
    pool: 'forks',
    maxWorkers: 3,
    projects: [
      { extends: true, test: { name: 'parallel', include: ['test/**/*.test.ts', 'examples/**/*.test.ts'], exclude: ['test/sendmail/**', 'test/*/receiver.test.ts', 'test/dane/**', 'test/mta-sts/judges.test.ts'] } },
      // The real-MTA suites share /dev/log (one private rsyslogd at a time) and the
      // machine's sendmail; the receivers' daemons are timed by their senders; the DANE
      // suite needs root (ports 25 and 53, mount namespaces) and runs Knot and unbound; so do
      // the MTA-STS judges (ports 25, 443 and 53), whose claims run side by side inside the
      // file: their files run one after another.
      { extends: true, test: { name: 'real-mta', include: ['test/sendmail/**/*.test.ts', 'test/*/receiver.test.ts', 'test/dane/**/*.test.ts', 'test/mta-sts/judges.test.ts'], fileParallelism: false } },
    ],
  },
});
