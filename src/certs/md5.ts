// An MD5-signed leaf, made by the openssl command: WebCrypto does not sign with MD5,
// OpenSSL still does.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { AltName, Signer } from './x509.js';

const execFileAsync = promisify(execFile);
const DAY = 86_400_000;

export async function issueMd5Certificate(privateKey: string, signer: Signer, commonName: string, altNames: AltName[], notAfter: Date): Promise<string> {
  const work = mkdtempSync(join(tmpdir(), 'broken-mta-cert-'));
  try {
    const file = (name: string) => join(work, name);
    const san = altNames.map((name) => `${name.type === 'ip' ? 'IP' : 'DNS'}:${name.value}`).join(',');
    writeFileSync(file('ext.cnf'), `basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth,clientAuth\nsubjectAltName=${san}\n`);
    // Asynchronous, so a running server's event loop never waits for it.
    const run = (args: string[]) => execFileAsync('openssl', args);
    writeFileSync(file('leaf.key'), privateKey, { mode: 0o600 });
    await run(['req', '-new', '-key', file('leaf.key'), '-subj', `/CN=${commonName}`, '-out', file('leaf.csr')]);
    const days = Math.max(1, Math.round((notAfter.getTime() - Date.now()) / DAY));
    const common = ['x509', '-req', '-in', file('leaf.csr'), '-md5', '-days', String(days), '-extfile', file('ext.cnf'), '-out', file('leaf.pem')];
    if (signer === 'self') {
      await run([...common, '-signkey', file('leaf.key')]);
    } else {
      writeFileSync(file('ca.pem'), signer.certificate);
      writeFileSync(file('ca.key'), signer.privateKey, { mode: 0o600 });
      await run([...common, '-CA', file('ca.pem'), '-CAkey', file('ca.key'), '-set_serial', `0x${Date.now().toString(16)}`]);
    }
    // openssl starts the validity now, which is what the MD5 profile asks for.
    return readFileSync(file('leaf.pem'), 'utf8');
  } catch (error) {
    const stderr = String((error as { stderr?: string }).stderr ?? '').trim();
    throw new Error(`openssl could not make the MD5 certificate: ${stderr || (error as Error).message}`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
