// The certificate cache: generated once, kept 0600, made again when it would turn.
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CertificateCache } from '../src/certs/cache.js';
import { run } from './support/clients.js';

const fresh = () => mkdtempSync(join(tmpdir(), 'broken-mta-certs-'));

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

describe('broken-mta certs --export', () => {
  it('writes the CA, the intermediate, and a client certificate with its key (0600)', async () => {
    const out = fresh();
    const result = await run('node', [join(import.meta.dirname, '..', 'dist', 'cli.js'), 'certs', '--export', out]);
    expect(result.code).toBe(0);
    for (const file of ['test-ca.pem', 'test-intermediate.pem', 'client.pem', 'client.key.pem']) expect(statSync(join(out, file)).size).toBeGreaterThan(0);
    expect(statSync(join(out, 'client.key.pem')).mode & 0o777).toBe(0o600);
    const client = new X509Certificate(readFileSync(join(out, 'client.pem')));
    expect(client.checkIssued(new X509Certificate(readFileSync(join(out, 'test-ca.pem'))))).toBe(true);
  });
});
