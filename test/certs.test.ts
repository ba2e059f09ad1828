// The certificate cache: generated once, kept 0600, made again when it would turn.
import { X509Certificate } from 'node:crypto';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CertificateCache } from '../src/certs/cache.js';
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
    for (const file of ['test-ca.pem', 'test-intermediate.pem', 'client-cert.pem', 'client-key.pem']) expect(statSync(join(out, file)).size).toBeGreaterThan(0);
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
