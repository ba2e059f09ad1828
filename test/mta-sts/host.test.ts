// The MTA-STS policy host, fetched with curl as an admin checks a policy by hand:
// `curl https://mta-sts.DOMAIN/.well-known/mta-sts.txt`, with the test CA trusted and the
// name pinned to loopback (--resolve). Each answer, and what the host records of it.
import { afterEach, describe, expect, it } from 'vitest';
import { CertificateCache } from '../../src/certs/cache.js';
import { defaultCertDir } from '../../src/defaults.js';
import { servePolicyHost, type PolicyHost, type PolicyRequest } from '../../src/mta-sts/host.js';
import { mtaStsSchema, POLICY_PATH, txtRecord } from '../../src/mta-sts/policy.js';
import { run } from '../support/clients.js';

const cache = new CertificateCache(defaultCertDir(), 'mx.broken-mta.test');
let host: PolicyHost | undefined;
const requests: PolicyRequest[] = [];

afterEach(async () => {
  await host?.close();
  host = undefined;
  requests.length = 0;
});

async function start(section: object): Promise<PolicyHost> {
  const settings = mtaStsSchema.parse(section);
  const served = await cache.get(settings.host.cert);
  host = await servePolicyHost({ settings, domain: 'broken-mta.test', key: served.key, cert: served.chain, host: '127.0.0.1', port: 0, onRequest: (r) => requests.push(r) });
  return host;
}

function curl(policyHost: PolicyHost, ...extra: string[]) {
  const url = `https://mta-sts.broken-mta.test:${policyHost.port}${POLICY_PATH}`;
  return run('curl', ['-sS', '-i', '--max-time', '2', '--cacert', cache.caFile, '--resolve', `mta-sts.broken-mta.test:${policyHost.port}:127.0.0.1`, ...extra, url]);
}

describe('the MTA-STS policy host', () => {
  it('serves the policy as RFC 8461 writes it, under a certificate for mta-sts.{domain} from the test CA', async () => {
    const result = await curl(await start({ mode: 'enforce', mx: ['mx.{domain}', '*.backup.{domain}'], maxAge: 604800, id: 'abc123' }));
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(result.stdout).toMatch(/content-type: text\/plain\r\n/i);
    expect(result.stdout).toContain('\r\n\r\nversion: STSv1\r\nmode: enforce\r\nmx: mx.broken-mta.test\r\nmx: *.backup.broken-mta.test\r\nmax_age: 604800\r\n');
    expect(requests).toEqual([{ path: POLICY_PATH, status: 200, id: 'abc123', remoteAddress: '127.0.0.1' }]);
    expect(txtRecord(host!.policy)).toBe('v=STSv1; id=abc123');
  });

  it('not-found: 404', async () => {
    const result = await curl(await start({ host: { answer: 'not-found' } }));
    expect(result.stdout).toMatch(/^HTTP\/1\.1 404 Not Found/);
    expect(requests[0]).toMatchObject({ status: 404 });
  });

  it('redirect: 301 to a copy elsewhere, which curl -L would follow and RFC 8461 forbids', async () => {
    const policyHost = await start({ host: { answer: 'redirect' } });
    const result = await curl(policyHost);
    expect(result.stdout).toMatch(/^HTTP\/1\.1 301 Moved Permanently\r\n/);
    expect(result.stdout).toMatch(/location: https:\/\/mta-sts\.broken-mta\.test\/moved\/mta-sts\.txt\r\n/i);
    expect(requests).toEqual([expect.objectContaining({ status: 301 })]);
  });

  it('hang: accepts, reads the request, never answers; curl gives up', async () => {
    const result = await curl(await start({ host: { answer: 'hang' } }));
    expect(result.code).toBe(28);
    expect(result.stderr).toMatch(/Operation timed out after \d+ milliseconds with 0 bytes received/);
    expect(requests).toEqual([expect.objectContaining({ status: 'no answer' })]);
  });

  it('mta-sts-host-expired: curl refuses the certificate and asks for nothing', async () => {
    const result = await curl(await start({ host: { cert: 'mta-sts-host-expired' } }));
    expect(result.code).toBe(60);
    expect(result.stderr).toContain('SSL certificate problem: certificate has expired');
    expect(requests).toEqual([]);
  });

  it('rotate() publishes the next policy under its new id', async () => {
    const policyHost = await start({ mode: 'testing', id: 'one', next: { id: 'two', mode: 'enforce' } });
    expect((await curl(policyHost)).stdout).toContain('mode: testing');
    expect(policyHost.rotate()).toMatchObject({ id: 'two', mode: 'enforce' });
    expect((await curl(policyHost)).stdout).toContain('mode: enforce');
    expect(requests.map((r) => r.id)).toEqual(['one', 'two']);
  });
});

describe('the mtaSts section', () => {
  it('names what is wrong, as every section does', () => {
    expect(() => mtaStsSchema.parse({ id: 'has space' })).toThrow(/1 to 32 letters and digits/);
    expect(() => mtaStsSchema.parse({ mode: 'strict' })).toThrow(/enforce/);
    expect(() => mtaStsSchema.parse({ host: { answer: 'teapot' } })).toThrow(/not-found/);
  });
});
