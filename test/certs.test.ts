// The certificate cache: generated once, kept 0600, made again when it would turn.
import { X509Certificate } from 'node:crypto';
import { readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CertificateCache } from '../src/certs/cache.js';
import { AUTHORITIES, CERT_PROFILES, CERT_PROFILE_NAMES } from '../src/certs/profiles.js';
import { defaultCertDir } from '../src/index.js';
import { run } from './support/clients.js';
import { tempDir } from './support/temp.js';

const fresh = () => tempDir('certs');

describe('the certificate cache', () => {
  it('writes keys 0600 and makes nothing on a second get', async () => {
    const dir = fresh();
    const cache = new CertificateCache(dir, 'mx.broken-mta.test');
    const made: string[] = [];
    const first = await cache.get('valid', (profile) => made.push(profile));
    expect(made).toEqual(['valid']);
    expect(statSync(first.file).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'test-ca.key.pem')).mode & 0o777).toBe(0o600);
    expect(statSync(cache.caFile).mode & 0o777).toBe(0o644);
    const second = await new CertificateCache(dir, 'mx.broken-mta.test').get('valid', (profile) => made.push(profile));
    expect(made).toEqual(['valid']);
    expect(second.chain).toBe(first.chain);
  });

  it('makes a new certificate when the host name it carries changes', async () => {
    const dir = fresh();
    await new CertificateCache(dir, 'mx.broken-mta.test').get('valid');
    const other = await new CertificateCache(dir, 'mx.other.test').get('valid');
    expect(new X509Certificate(other.chain).subjectAltName).toContain('DNS:mx.other.test');
  });

  it('makes a new certificate when a future date is less than 7 days away', async () => {
    const dir = fresh();
    const cache = new CertificateCache(dir, 'mx.broken-mta.test');
    const first = await cache.get('valid');
    const [meta, ...rest] = readFileSync(first.file, 'utf8').split('\n');
    const soon = { ...JSON.parse(meta!.slice('# broken-mta '.length)), notAfter: new Date(Date.now() + 3 * 86_400_000).toISOString() };
    writeFileSync(first.file, [`# broken-mta ${JSON.stringify(soon)}`, ...rest].join('\n'));
    const made: string[] = [];
    const second = await cache.get('valid', (profile) => made.push(profile));
    expect(made).toEqual(['valid']);
    expect(second.chain).not.toBe(first.chain);
  });

  it('an expired profile stays cached: it is meant to be expired', async () => {
    const dir = fresh();
    const cache = new CertificateCache(dir, 'mx.broken-mta.test');
    await cache.get('expired');
    const made: string[] = [];
    await cache.get('expired', (profile) => made.push(profile));
    expect(made).toEqual([]);
  });

  it('serves the chain the profile names: good-chain sends the intermediate', async () => {
    const dir = fresh();
    const cache = new CertificateCache(dir, 'mx.broken-mta.test');
    const good = await cache.get('good-chain');
    const incomplete = await cache.get('incomplete-chain');
    expect(good.chain.match(/BEGIN CERTIFICATE/g)).toHaveLength(2);
    expect(incomplete.chain.match(/BEGIN CERTIFICATE/g)).toHaveLength(1);
    expect(new X509Certificate(readFileSync(cache.authorityFile('test-intermediate'))).checkIssued(new X509Certificate(readFileSync(cache.caFile)))).toBe(true);
  });
});

const CLI = join(import.meta.dirname, '..', 'dist', 'cli.js');

describe('broken-mta certs --export', () => {
  it('writes the CA, the intermediate, and a client certificate with its key (0600)', async () => {
    const out = fresh();
    const result = await run('node', [CLI, 'certs', '--export', out]);
    expect(result.code).toBe(0);
    for (const file of ['test-ca.pem', 'test-intermediate.pem', 'retired-root.pem', 'client-cert.pem', 'client-key.pem']) expect(statSync(join(out, file)).size).toBeGreaterThan(0);
    expect(statSync(join(out, 'client-key.pem')).mode & 0o777).toBe(0o600);
    const client = new X509Certificate(readFileSync(join(out, 'client-cert.pem')));
    expect(client.checkIssued(new X509Certificate(readFileSync(join(out, 'test-ca.pem'))))).toBe(true);
  });

  it('names the client files as `certs --client` does', async () => {
    const out = fresh();
    await run('node', [CLI, 'certs', '--export', out]);
    const printed = (await run('node', [CLI, 'certs', '--client'])).stdout.trim().split('\n').map((path) => basename(path));
    expect(printed).toEqual(['client-cert.pem', 'client-key.pem']);
    expect(readdirSync(out)).toEqual(expect.arrayContaining(printed));
  });
});

describe('where the cache lives', () => {
  it('$BROKEN_MTA_CERTS, else $XDG_CACHE_HOME/broken-mta, else ~/.cache/broken-mta: per user, never in the package', () => {
    expect(defaultCertDir({ BROKEN_MTA_CERTS: '/srv/certs', XDG_CACHE_HOME: '/x', HOME: '/home/u' })).toBe('/srv/certs');
    expect(defaultCertDir({ XDG_CACHE_HOME: '/x', HOME: '/home/u' })).toBe('/x/broken-mta');
    expect(defaultCertDir({ HOME: '/home/u' })).toBe('/home/u/.cache/broken-mta');
    // The XDG spec: a relative XDG_CACHE_HOME is ignored.
    expect(defaultCertDir({ XDG_CACHE_HOME: 'relative', HOME: '/home/u' })).toBe('/home/u/.cache/broken-mta');
  });

  it('`broken-mta certs` makes them in $XDG_CACHE_HOME/broken-mta, with progress on stderr while it does; --certs wins', async () => {
    const home = fresh();
    const { BROKEN_MTA_CERTS: _ours, ...env } = process.env;
    const made = await run('node', [CLI, 'certs'], { env: { ...env, XDG_CACHE_HOME: home }, timeoutMs: 30_000 });
    expect(made.code).toBe(0);
    expect(made.stdout).toBe(`${join(home, 'broken-mta', 'test-ca.pem')}\n`);
    expect(made.stderr).toMatch(/^making \d+ certificates in /);
    expect(made.stderr).toMatch(/valid: generated in \d+ ms/);
    const chosen = await run('node', [CLI, 'certs', '--certs', process.env.BROKEN_MTA_CERTS!], { env: { ...env, XDG_CACHE_HOME: home } });
    expect(chosen.stdout).toBe(`${join(process.env.BROKEN_MTA_CERTS!, 'test-ca.pem')}\n`);
  });
});

describe('profiles and authorities are data the cache can make', () => {
  it('every issuer and chain names an authority; no profile shares a file name with one', () => {
    const authorities = Object.keys(AUTHORITIES);
    for (const [name, spec] of Object.entries(AUTHORITIES)) {
      if (spec.issuer !== 'self') expect(authorities, `${name}'s issuer`).toContain(spec.issuer);
      if (spec.crossSigns) expect(authorities, `${name} cross-signs`).toContain(spec.crossSigns);
    }
    for (const name of CERT_PROFILE_NAMES) {
      const profile = CERT_PROFILES[name];
      for (const authority of [profile.issuer, ...profile.chain].filter((a) => a !== 'self')) expect(authorities, `${name} names ${authority}`).toContain(authority);
      // <profile>.pem and <authority>.pem live in one folder.
      expect(authorities).not.toContain(name);
    }
  });

  it('keys and names: EC P-256 and P-384, no subject with a critical SAN, must-staple, 10,000 names', async () => {
    const cache = new CertificateCache(fresh(), 'mx.broken-mta.test');
    const leaf = async (profile: Parameters<CertificateCache['get']>[0]) => new X509Certificate((await cache.get(profile)).chain);
    expect((await leaf('ecdsa-p256')).publicKey.asymmetricKeyDetails).toMatchObject({ namedCurve: 'prime256v1' });
    expect((await leaf('ecdsa-p384')).publicKey.asymmetricKeyDetails).toMatchObject({ namedCurve: 'secp384r1' });
    const text = async (profile: Parameters<CertificateCache['get']>[0]) =>
      (await run('openssl', ['x509', '-noout', '-text'], { input: (await cache.get(profile)).chain })).stdout;
    const noSubject = await text('no-subject');
    expect(noSubject).toMatch(/Subject: *\n/);
    expect(noSubject).toMatch(/X509v3 Subject Alternative Name: critical\n\s+DNS:mx\.broken-mta\.test/);
    expect(await text('must-staple')).toMatch(/TLS Feature: *\n\s+status_request/);
    expect((await leaf('10000-sans')).subjectAltName!.split(', ')).toHaveLength(10_000);
  });

  it('the cross-sign carries the test CA\'s own name and key, signed by the expired retired root', async () => {
    const cache = new CertificateCache(fresh(), 'mx.broken-mta.test');
    const served = await cache.get('expired-cross-root');
    const [, intermediate, cross] = served.chain.match(/-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g)!.map((pem) => new X509Certificate(pem));
    const ca = new X509Certificate(readFileSync(cache.caFile));
    const retired = new X509Certificate(readFileSync(cache.authorityFile('retired-root')));
    expect(intermediate!.checkIssued(ca)).toBe(true);
    expect(cross!.subject).toBe(ca.subject);
    expect(cross!.publicKey.equals(ca.publicKey)).toBe(true);
    expect(cross!.checkIssued(retired)).toBe(true);
    expect(Date.parse(cross!.validTo)).toBeLessThan(Date.now());
    expect(Date.parse(retired.validTo)).toBeLessThan(Date.now());
  });

  it('a CRL-naming profile is made only with the revocation server\'s address, and names it', async () => {
    const cache = new CertificateCache(fresh(), 'mx.broken-mta.test');
    await expect(cache.get('revoked')).rejects.toThrow(/made when a scenario serves it/);
    const served = await cache.get('revoked', undefined, { revocationBase: 'http://127.0.0.1:4711' });
    const extension = await run('openssl', ['x509', '-noout', '-ext', 'crlDistributionPoints'], { input: served.chain });
    expect(extension.stdout).toContain('URI:http://127.0.0.1:4711/test-ca.crl');
  });

  it('the CRL lists the revoked serial, and the OCSP response says revoked, as openssl reads them', async () => {
    const dir = fresh();
    const cache = new CertificateCache(dir, 'mx.broken-mta.test');
    const served = await cache.get('revoked', undefined, { revocationBase: 'http://127.0.0.1:4711' });
    writeFileSync(join(dir, 'test.crl'), await cache.crl('test-ca', [served.serial]));
    const crl = await run('openssl', ['crl', '-inform', 'DER', '-in', join(dir, 'test.crl'), '-CAfile', cache.caFile, '-noout', '-text']);
    expect(crl.output).toContain('verify OK');
    expect(crl.stdout).toContain(`Serial Number: ${served.serial.toUpperCase()}`);
    writeFileSync(join(dir, 'leaf.pem'), served.chain);
    writeFileSync(join(dir, 'revoked.ocsp'), await cache.ocspResponse(served));
    const ocsp = await run('openssl', ['ocsp', '-respin', join(dir, 'revoked.ocsp'), '-issuer', cache.caFile, '-cert', join(dir, 'leaf.pem'), '-CAfile', cache.caFile]);
    expect(ocsp.output).toContain('Response verify OK');
    expect(ocsp.stdout).toMatch(/leaf\.pem: revoked/);
    const good = await cache.get('valid');
    writeFileSync(join(dir, 'valid.pem'), good.chain);
    writeFileSync(join(dir, 'good.ocsp'), await cache.ocspResponse(good));
    const goodOcsp = await run('openssl', ['ocsp', '-respin', join(dir, 'good.ocsp'), '-issuer', cache.caFile, '-cert', join(dir, 'valid.pem'), '-CAfile', cache.caFile]);
    expect(goodOcsp.stdout).toMatch(/valid\.pem: good/);
  });

  it('leaf keys are kept on disk (0600) and reused by the next process; a new test CA remakes what it signed', async () => {
    const dir = fresh();
    const first = await new CertificateCache(dir, 'mx.broken-mta.test').get('valid');
    expect(statSync(join(dir, 'key-rsa-2048.pem')).mode & 0o777).toBe(0o600);
    const made: string[] = [];
    // Another host name: a new certificate, with the key already made.
    const other = await new CertificateCache(dir, 'mx.other.test').get('valid', (profile) => made.push(profile));
    expect(made).toEqual(['valid']);
    expect(new X509Certificate(other.chain).publicKey.equals(new X509Certificate(first.chain).publicKey)).toBe(true);
    // The test CA's files gone: a new CA, and the leaf it signed is made again under it.
    rmSync(join(dir, 'test-ca.pem'));
    const again = await new CertificateCache(dir, 'mx.broken-mta.test').get('valid', (profile) => made.push(profile));
    expect(made).toEqual(['valid', 'valid']);
    expect(new X509Certificate(again.chain).checkIssued(new X509Certificate(readFileSync(join(dir, 'test-ca.pem'))))).toBe(true);
  });
});
