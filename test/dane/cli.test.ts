// `broken-mta dns` on bad input, and `broken-mta show` on a domain's page: one line and
// exit 2 for what the user got wrong (a scenario with no domain, a bad name, a dns section
// that pins what is not served), before anything listens.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { run } from '../support/clients.js';
import { tempDir } from '../support/temp.js';

const CLI = join(import.meta.dirname, '..', '..', 'dist', 'cli.js');
const cli = (...args: string[]) => run('node', [CLI, ...args], { timeoutMs: 10_000 });

function expectUsageError(result: Awaited<ReturnType<typeof cli>>, line: string | RegExp): void {
  expect(result.code).toBe(2);
  expect(result.stdout).toBe('');
  const lines = result.stderr.trimEnd().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(typeof line === 'string' ? new RegExp(`^${line.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`) : line);
}

describe('broken-mta dns: bad input', () => {
  it('a scenario without a dns section', async () => {
    expectUsageError(await cli('dns', '--scenario', 'good'), 'broken-mta: good has no dns section: it serves no domain (the dane-* scenarios do); serve it with --scenario good');
  });

  it('a domain that is not one', async () => {
    expectUsageError(await cli('dns', '--scenario', 'dane-valid', '--domain', 'Example_.test.'), 'broken-mta: --domain Example_.test.: give a domain name such as example.test (lower case, no final dot)');
  });

  it('a resolver address beyond loopback', async () => {
    expectUsageError(await cli('dns', '--scenario', 'dane-valid', '--resolver', '192.0.2.1'), 'broken-mta: --resolver 192.0.2.1: give a loopback address (127.x.y.z)');
  });

  it('no scenario', async () => {
    const result = await cli('dns');
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('dns needs --scenario');
  });

  it('a dns section that pins an issuer the certificate is sent without: file, line and field', async () => {
    const file = join(tempDir('dns-input'), 'pins.yaml');
    writeFileSync(file, 'extends: dane-valid\ndns:\n  mx:\n    - host: mx1\n      tlsa:\n        - { usage: 2, selector: 1, matching: 1, pins: issuer }\n');
    const result = await cli('dns', '--scenario', file);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(`broken-mta: ${file}:6: dns.mx.0.tlsa.0.pins: the valid certificate is sent without its issuer: pin the certificate, or serve one sent with its chain (good-chain)\n`);
  });
});

describe('broken-mta show on a domain page', () => {
  it('says to run `broken-mta dns`, and routes by the domain: no relay host, no smarthost', async () => {
    const result = await cli('show', 'dane-tlsa-mismatch');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Symptoms (with `broken-mta dns --scenario dane-tlsa-mismatch` running and the MTA resolving through it');
    expect(result.stdout).toContain("$ postconf -e 'smtp_dns_support_level = dnssec' 'smtp_tls_security_level = dane' && postfix reload");
    expect(result.stdout).toContain('sendmail -f sender@client.example.test rcpt@example.test');
    expect(result.stdout).not.toMatch(/relayhost|dc_smarthost/);
  });
});
