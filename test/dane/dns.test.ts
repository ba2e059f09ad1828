// src/dns against the real programs: Knot signs, unbound validates from the trust anchor
// serveZones wrote, and kdig (knot-dnsutils) shows the answers as an MTA's resolver gets
// them: the AD bit on a signed zone, none on an unsigned one, SERVFAIL under a broken chain.
// Needs root (unbound on port 53 of a 127.53.x.y address) and Debian's knot, knot-dnsutils
// and unbound; BROKEN_MTA_NO_DANE=1 skips it on purpose.
import { existsSync, statSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveZones, type ServedZones } from '../../src/dns/serve.js';
import { spoiled, tlsaData } from '../../src/dns/tlsa.js';
import { txtData, zoneFile, zonesProblem, type ZoneSpec } from '../../src/dns/zone.js';
import { run } from '../support/clients.js';
import { daneMissing, SKIP_DANE } from './support.js';

async function kdig(dns: ServedZones, name: string, type: string): Promise<{ status: string; flags: string[]; answer: string[] }> {
  const result = await run('kdig', [`@${dns.resolver.address}`, '-p', String(dns.resolver.port), '+dnssec', '+nocrypto', name, type]);
  if (result.code !== 0) throw new Error(`kdig failed: ${result.output}`);
  const status = /status: (\w+)/.exec(result.stdout)?.[1] ?? '';
  const flags = (/;; Flags: ([^;]*);/.exec(result.stdout)?.[1] ?? '').trim().split(/\s+/);
  const answer = result.stdout
    .split(';; ANSWER SECTION:')[1]
    ?.split('\n\n')[0]!
    .split('\n')
    .filter((line) => line && !line.startsWith(';;')) ?? [];
  return { status, flags, answer };
}

it.skipIf(SKIP_DANE)('the DANE suite can run here (BROKEN_MTA_NO_DANE=1 skips it)', () => {
  expect(daneMissing()).toBeUndefined();
});

describe.skipIf(SKIP_DANE)('serveZones: Knot signing, unbound validating', () => {
  let dns: ServedZones;
  beforeAll(async () => {
    dns = await serveZones({
      zones: [
        {
          origin: 'example.test',
          records: [
            { name: '@', type: 'MX', data: '10 mx1.example.test.' },
            { name: 'mx1', type: 'A', data: '127.53.200.1' },
            { name: '_25._tcp.mx1', type: 'TLSA', data: `3 1 1 ${'ab'.repeat(32)}` },
            { name: '_mta-sts', type: 'TXT', data: txtData('v=STSv1; id=20261129') },
          ],
        },
        { origin: '_tcp.mx2.example.test', dnssec: 'broken-chain', records: [{ name: '_25', type: 'TLSA', data: `3 1 1 ${'cd'.repeat(32)}` }] },
        { origin: 'plain.test', dnssec: 'unsigned', records: [{ name: '@', type: 'MX', data: '10 mx.plain.test.' }, { name: 'mx', type: 'A', data: '127.53.200.2' }] },
      ],
    });
  });
  afterAll(async () => {
    const folder = dns?.folder;
    await dns?.close();
    if (folder) expect(existsSync(folder)).toBe(false);
  });

  it('keeps its files in a private folder and writes the trust anchor', () => {
    expect(statSync(dns.folder).mode & 0o777).toBe(0o700);
    expect(dns.trustAnchor).toMatch(/^example\.test\. DS \d+ 13 2 [0-9a-f]{64}\n$/);
  });

  it('answers the signed zone with the AD bit: MX, A, TLSA, TXT', async () => {
    const tlsa = await kdig(dns, '_25._tcp.mx1.example.test', 'TLSA');
    expect(tlsa.status).toBe('NOERROR');
    expect(tlsa.flags).toContain('ad');
    expect(tlsa.answer.join('\n')).toMatch(/TLSA\s+3 1 1 (AB){32}/i);
    expect(tlsa.answer.join('\n')).toMatch(/RRSIG\s+TLSA 13 /);
    const mx = await kdig(dns, 'example.test', 'MX');
    expect(mx.flags).toContain('ad');
    expect(mx.answer.join('\n')).toMatch(/MX\s+10 mx1\.example\.test\./);
    expect((await kdig(dns, '_mta-sts.example.test', 'TXT')).answer.join('\n')).toContain('"v=STSv1; id=20261129"');
  });

  it('answers SERVFAIL under a broken chain of trust', async () => {
    expect((await kdig(dns, '_25._tcp.mx2.example.test', 'TLSA')).status).toBe('SERVFAIL');
  });

  it('answers an unsigned zone without the AD bit, and refuses names it does not serve', async () => {
    const plain = await kdig(dns, 'plain.test', 'MX');
    expect(plain.status).toBe('NOERROR');
    expect(plain.flags).not.toContain('ad');
    expect((await kdig(dns, 'example.com', 'A')).status).toBe('REFUSED');
  });
});

describe('the zone model (no servers)', () => {
  const top: ZoneSpec = { origin: 'example.test', records: [{ name: '@', type: 'MX', data: '10 mx1.example.test.' }] };
  const broken: ZoneSpec = { origin: '_tcp.mx1.example.test', dnssec: 'broken-chain', records: [] };

  it("writes a parent's delegation to a broken-chain child with a DS that matches no key", () => {
    const text = zoneFile(top, [top, broken], '127.53.1.1');
    expect(text).toContain('@ SOA ns.example.test. hostmaster.example.test. ');
    expect(text).toContain('ns.example.test. A 127.53.1.1\n');
    expect(text).toContain('_tcp.mx1.example.test. NS ns.example.test.\n');
    expect(text).toMatch(/_tcp\.mx1\.example\.test\. DS 4242 13 2 [0-9a-f]{64}\n/);
    expect(zoneFile(broken, [top, broken], '127.53.1.1')).not.toContain(' A 127.53.1.1');
  });

  it('says what is wrong with a set of zones', () => {
    expect(zonesProblem([top, broken])).toBeUndefined();
    expect(zonesProblem([broken])).toBe('_tcp.mx1.example.test: a broken chain needs a signed parent zone among those served');
    expect(zonesProblem([{ ...top, dnssec: 'unsigned' }, broken])).toBe('_tcp.mx1.example.test: a broken chain needs a signed parent zone among those served');
    expect(zonesProblem([top, { origin: 'sub.example.test', records: [] }])).toMatch(/^sub\.example\.test: a signed zone inside the served zone example\.test is not supported/);
    expect(zonesProblem([top, top])).toBe('the zone example.test is given twice');
    expect(zonesProblem([{ origin: 'example.test.', records: [] }])).toBe('example.test. is not a domain name (no final dot)');
  });

  it('quotes TXT data, 255 bytes a string at most', () => {
    expect(txtData('v=STSv1; id="1"')).toBe('"v=STSv1; id=\\"1\\""');
    expect(txtData('a'.repeat(300))).toBe(`"${'a'.repeat(255)}" "${'a'.repeat(45)}"`);
  });

  it('computes TLSA data as openssl does, and spoils it by one byte', async () => {
    const pem = (await run('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', '/dev/null', '-subj', '/CN=t', '-days', '1'])).stdout;
    const spki = await run('sh', ['-c', 'openssl x509 -noout -pubkey | openssl pkey -pubin -outform DER | openssl dgst -sha256 -hex'], { input: pem });
    const digest = /= ([0-9a-f]{64})/.exec(spki.stdout)![1]!;
    expect(tlsaData({ usage: 3, selector: 1, matching: 1 }, pem)).toBe(`3 1 1 ${digest}`);
    const bad = spoiled(`3 1 1 ${digest}`);
    expect(bad).not.toBe(`3 1 1 ${digest}`);
    expect(bad.slice(0, -2)).toBe(`3 1 1 ${digest}`.slice(0, -2));
  });
});
