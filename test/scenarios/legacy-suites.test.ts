// The engine's legacy suites over real sockets with the one client that still has them:
// gnutls-cli 3.7 completes 3DES and RC4 (which neither Node nor OpenSSL 3 offers) at every
// version the engine serves them, and a whole SMTP transaction arrives through the records
// both ways. The command is the claims' own (`with: { priority, sendMail: true }`), so it is
// what `broken-mta show` would print. Static RSA's and NULL's other clients are in
// test/engine/legacy.test.ts (Node) and on the scenario pages (openssl).
import { describe, expect, it } from 'vitest';
import { clientKind, commandLine } from '../../src/claims/clients.js';
import { runShell } from '../../src/claims/run.js';
import { startScenario } from '../../src/index.js';
import { findSuite } from '../../src/tls/engine/suites.js';
import { targetOf } from '../support/claims.js';

const VERSIONS = [
  { version: 'TLSv1', gnutls: 'TLS1.0' },
  { version: 'TLSv1.1', gnutls: 'TLS1.1' },
  { version: 'TLSv1.2', gnutls: 'TLS1.2' },
] as const;

const SUITES = [
  { openssl: 'DES-CBC3-SHA', priority: '+3DES-CBC', description: '(RSA)-(3DES-CBC)-(SHA1)' },
  { openssl: 'EDH-RSA-DES-CBC3-SHA', priority: '+3DES-CBC', description: '(3DES-CBC)-(SHA1)' },
  { openssl: 'RC4-SHA', priority: '+ARCFOUR-128', description: '(RSA)-(ARCFOUR-128)-(SHA1)' },
  { openssl: 'RC4-MD5', priority: '+ARCFOUR-128:+MD5', description: '(RSA)-(ARCFOUR-128)-(MD5)' },
] as const;

const cases = SUITES.flatMap((suite) => VERSIONS.map((version) => ({ ...suite, ...version })));

describe.concurrent('3DES and RC4 on the engine, with gnutls-cli, at TLS 1.0, 1.1 and 1.2', () => {
  it.each(cases)('$openssl at $version: the handshake completes and the message arrives', { timeout: 30_000 }, async ({ openssl, priority, description, version, gnutls }) => {
    const suite = findSuite(openssl)!;
    const mta = await startScenario({
      name: `legacy-${openssl}-${version}`.toLowerCase().replaceAll(".", ""),
      summary: 'one legacy suite at one version',
      imitates: 'a server with one legacy suite',
      symptoms: [{ client: 'gnutls', tls: 'established' }],
      fixes: ['none'],
      tls: { engine: 'scripted', ciphers: openssl, versions: [version] },
    });
    try {
      const invocation = clientKind('gnutls')!.invoke({ priority: `NORMAL:${priority}:-VERS-ALL:+VERS-${gnutls}`, sendMail: true }, await targetOf(mta), 1);
      if (invocation.kind !== 'command') throw new Error('gnutls-cli is a command');
      const result = await runShell(commandLine(invocation), invocation.timeoutMs);
      expect(result.output).toContain(`- Description: (${gnutls}-X.509)-`);
      expect(result.output).toContain(description);
      expect(result.output).toContain('250 Message accepted');
      const established = await mta.waitFor((event) => event.type === 'tls-established');
      expect(established).toMatchObject({ protocol: version, cipher: suite.name, keyExchange: { kind: suite.keyExchange, bits: 2048 } });
      await mta.waitFor((event) => event.type === 'message');
      expect(mta.messages[0]).toMatchObject({ secure: true, tls: { protocol: version, cipher: suite.name } });
      expect(mta.messages[0]!.raw.toString()).toContain('hello');
    } finally {
      await mta.close();
    }
  });
});
