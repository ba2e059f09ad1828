// The contract with smtp-server's internals: every private member src/smtp/internals.ts
// (and library-server.ts) uses exists, with the kind it is used as, on the smtp-server that is installed. An
// upgrade that removes or renames one fails here, by name, before any session misbehaves.
import { readFileSync } from 'node:fs';
import { connect as connectTcp, Socket } from 'node:net';
import { connect as connectTls, createServer as createTlsServer, type ConnectionOptions } from 'node:tls';
import { join } from 'node:path';
import { SMTPServer } from 'smtp-server';
import { SMTPConnection } from 'smtp-server/lib/smtp-connection.js';
import { afterAll, describe, expect, it } from 'vitest';
import { startScenario } from '../src/index.js';
import { SRC, sourceFiles } from './support/architecture.js';

const INTERNALS = join(SRC, 'smtp', 'internals.ts');
const LIBRARY_SERVER = join(SRC, 'smtp', 'library-server.ts');
const connectionPart = readFileSync(INTERNALS, 'utf8');
const serverPart = readFileSync(LIBRARY_SERVER, 'utf8');

/** The names used after `pattern` in a part of internals.ts. */
const used = (part: string, pattern: RegExp): string[] => [...new Set([...part.matchAll(pattern)].map((match) => match[1]!))].sort();

/** What LibraryConnection declares itself: these are ours, not the library's. */
const ours = new Set(used(connectionPart!, /^ {2}(?:protected |private |abstract |override |get |static )*(?:get )?(\w+)\(/gm).filter((name) => !/^(_|handler_|upgrade$|init$)/.test(name)));

const server = new SMTPServer({ logger: false });
const connection = new SMTPConnection(server, new Socket());
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('smtp-server, as internals.ts uses it', () => {
  it("has every connection method it overrides or calls on super", () => {
    const methods = [...used(connectionPart!, /override (\w+)\(/g), ...used(connectionPart!, /super\.(\w+)\(/g)];
    expect(methods.length).toBeGreaterThan(10);
    const missing = methods.filter((name) => typeof Reflect.get(SMTPConnection.prototype, name) !== 'function');
    expect(missing).toEqual([]);
  });

  it('has every connection member it reads or writes', () => {
    const members = used(connectionPart!, /this\.(\w+)/g).filter((name) => !ours.has(name));
    expect(members).toEqual(expect.arrayContaining(['_socket', '_parser', '_upgrading', '_closing', '_closed', 'session']));
    const missing = members.filter((name) => !(name in connection));
    expect(missing).toEqual([]);
  });

  it("has every parser member the line guard and the retired parser need", () => {
    const members = used(connectionPart!, /parser\.(\w+)/g);
    expect(members).toEqual(expect.arrayContaining(['_write', '_dataMode', '_remainder', 'isClosed']));
    const parser = connection._parser;
    expect(parser).not.toBe(false);
    const missing = members.filter((name) => !(name in (parser as object)));
    expect(missing).toEqual([]);
  });

  it('has every server member it reaches', () => {
    const members = [...used(connectionPart!, /this\._server\.(\w+)/g), ...used(serverPart!, /this\.(\w+)\b/g).filter((name) => !['makeConnection', 'onConnection'].includes(name))];
    expect(members).toEqual(expect.arrayContaining(['connections', 'options', 'secureContext', '_onError', '_onClientConnect']));
    const missing = members.filter((name) => !(name in server));
    expect(missing).toEqual([]);
    const methods = [...used(serverPart!, /override (\w+)\(/g), ...used(serverPart!, /super\.(\w+)\(/g)];
    expect(methods).toEqual(expect.arrayContaining(['connect', '_handleProxy']));
    expect(methods.filter((name) => typeof Reflect.get(SMTPServer.prototype, name) !== 'function')).toEqual([]);
  });

  it("has the member of Node's tls.Server that answerOcspRequests gives smtp-server's plain server", () => {
    const members = used(serverPart!, /plain\.(_\w+)/g);
    expect(members).toEqual(['_sharedCreds']);
    // Node's TLS looks up a server's default context there when the client sends no SNI.
    const tlsServer = createTlsServer();
    expect(members.filter((name) => !(name in tlsServer))).toEqual([]);
  });

  it('staples to a client that sends no SNI, through the plain server', async () => {
    const mta = await startScenario('revoked-stapled');
    try {
      const staple = await stapleWithoutSni(mta.port, readFileSync(mta.caFile));
      expect(staple.length).toBeGreaterThan(0);
      expect(mta.events).toContainEqual(expect.objectContaining({ type: 'ocsp-stapled', status: 'revoked' }));
    } finally {
      await mta.close();
    }
  });

  it('is used through internals.ts and library-server.ts only: no other file in src/ touches a private member of it', () => {
    const touching = sourceFiles()
      .filter((file) => file !== INTERNALS && file !== LIBRARY_SERVER)
      .filter((file) => /(\bsuper|this)\.(_[a-zA-Z]|handler_)|smtp-server\/lib\//.test(readFileSync(file, 'utf8')));
    expect(touching).toEqual([]);
  });
});

/** STARTTLS by hand, then a TLS client that asks for a staple and names no server: the staple it gets. */
function stapleWithoutSni(port: number, ca: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const raw = connectTcp({ host: '127.0.0.1', port });
    const timer = setTimeout(() => (raw.destroy(), reject(new Error('no staple within 5 s'))), 5000);
    // Each reply's last line (code and a space) moves the dialogue on: greeting, EHLO, STARTTLS.
    const next = ['EHLO client.example.test\r\n', 'STARTTLS\r\n'];
    let pending = '';
    const onData = (chunk: Buffer) => {
      pending += chunk.toString('latin1');
      while (/^\d{3} .*\r\n/m.test(pending)) {
        pending = pending.replace(/^[\s\S]*?^\d{3} .*\r\n/m, '');
        const line = next.shift();
        if (line) {
          raw.write(line);
          continue;
        }
        raw.off('data', onData);
        // tls.connect passes requestOCSP on to its TLSSocket; @types/node leaves it out of ConnectionOptions.
        const options: ConnectionOptions & { requestOCSP: boolean } = { socket: raw, ca, requestOCSP: true, checkServerIdentity: () => undefined };
        const secure = connectTls(options);
        secure.once('OCSPResponse', (response: Buffer) => {
          clearTimeout(timer);
          secure.destroy();
          resolve(response);
        });
        secure.once('error', reject);
        return;
      }
    };
    raw.on('data', onData);
    raw.once('error', reject);
  });
}
