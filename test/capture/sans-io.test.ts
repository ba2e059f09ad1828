// Capture's protocol logic without sockets: the SMTP dialogue's transition table, the flight
// reader fed the engine's real bytes (whole, byte by byte, cut, spoiled), the planner's
// rules on findings no catalogue server produces, and the catalogue's resemblance to itself.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { FlightReader } from '../../src/capture/flight.js';
import type { Findings, HelloProbeResult, TlsFindings } from '../../src/capture/findings.js';
import { helloPlan, helloRecord } from '../../src/capture/hellos.js';
import { catalogue, planScenario } from '../../src/capture/plan.js';
import { featuresOf, resemble } from '../../src/capture/resemble.js';
import { SmtpDialogue } from '../../src/capture/smtp-dialogue.js';
import { TlsServerEngine } from '../../src/tls/engine/engine.js';
import { certificateMessage, serverHello } from '../../src/tls/engine/messages.js';
import { encodeRecord } from '../../src/tls/engine/records.js';
import { scenarioSchema } from '../../src/scenario/schema.js';
import { engineConfig } from '../engine/support.js';

const reply = (code: number, ...lines: string[]) => ({ code, lines });

describe('the SMTP dialogue, rule by rule', () => {
  const dialogue = (starttls = true) => new SmtpDialogue({ helo: 'probe.example.test', starttls });

  it('220, EHLO 250 with STARTTLS, 220 to STARTTLS: TLS, and the capabilities are kept in order', () => {
    const d = dialogue();
    expect(d.receive(reply(220, 'mx ESMTP'))).toBe('EHLO probe.example.test\r\n');
    expect(d.receive(reply(250, 'mx', 'PIPELINING', 'STARTTLS', 'SIZE 100'))).toBe('STARTTLS\r\n');
    expect(d.receive(reply(220, 'go ahead'))).toBe('');
    expect(d.state).toBe('tls');
    expect(d.findings).toMatchObject({ capabilities: ['PIPELINING', 'STARTTLS', 'SIZE 100'], starttlsAdvertised: true, starttls: reply(220, 'go ahead') });
  });

  it('a banner other than 220: QUIT', () => {
    const d = dialogue();
    expect(d.receive(reply(554, 'go away'))).toBe('QUIT\r\n');
    expect(d.receive(reply(221, 'bye'))).toBe('');
    expect(d.state).toBe('done');
  });

  it('EHLO refused: HELO; HELO accepted: STARTTLS all the same, to see what it gets', () => {
    const d = dialogue();
    d.receive(reply(220, 'old'));
    expect(d.receive(reply(502, 'what'))).toBe('HELO probe.example.test\r\n');
    expect(d.receive(reply(250, 'old'))).toBe('STARTTLS\r\n');
    expect(d.receive(reply(500, 'unknown'))).toBe('QUIT\r\n');
    expect(d.findings.starttlsAdvertised).toBe(false);
  });

  it('HELO refused too: QUIT', () => {
    const d = dialogue();
    d.receive(reply(220, 'x'));
    d.receive(reply(502, 'no'));
    expect(d.receive(reply(501, 'no'))).toBe('QUIT\r\n');
  });

  it('--no-starttls: QUIT after EHLO, STARTTLS never sent', () => {
    const d = dialogue(false);
    d.receive(reply(220, 'x'));
    expect(d.receive(reply(250, 'x', 'STARTTLS'))).toBe('QUIT\r\n');
  });
});

describe('the flight reader, fed the engine', () => {
  async function engineBytes(overrides: Parameters<typeof engineConfig>[0] = {}) {
    const engine = new TlsServerEngine(await engineConfig(overrides));
    const { record } = helloRecord(helloPlan('tls1.2'), 'mx.broken-mta.test', randomBytes(32));
    return engine.receive(record).bytes;
  }

  it('the whole flight, even one byte at a time', async () => {
    const bytes = await engineBytes({ dh: '1024' });
    const reader = new FlightReader();
    for (const byte of bytes) reader.push(Buffer.of(byte));
    expect(reader.status).toBe('complete');
    expect(reader.steps).toEqual(['ServerHello', 'Certificate', 'ServerKeyExchange', 'ServerHelloDone']);
    expect(reader.keyExchange?.kind).toBe('DHE');
    expect(reader.bytes).toBe(bytes.length);
  });

  it('an alert after the certificate', async () => {
    const reader = new FlightReader();
    reader.push(await engineBytes({ script: { alertAfter: { step: 'Certificate', alert: 40 } } }));
    expect([reader.status, reader.lastStep, reader.alert]).toEqual(['alert', 'Certificate', { code: 40, fatal: true }]);
  });

  it('cut short: still reading, with the bytes counted (the IO side calls it midway)', async () => {
    const reader = new FlightReader();
    expect(reader.push((await engineBytes()).subarray(0, 100))).toBe(false);
    expect([reader.status, reader.bytes]).toEqual(['reading', 100]);
  });

  it('plaintext where TLS should be is garbage, kept as text', () => {
    const reader = new FlightReader();
    reader.push(Buffer.from('421 4.3.0 TLS engine unavailable\r\n'));
    expect([reader.status, reader.garbage]).toEqual(['garbage', '421 4.3.0 TLS engine unavailable\r\n']);
  });

  it('a handshake message before the ServerHello is malformed', () => {
    const reader = new FlightReader();
    reader.push(Buffer.from('16030100040e000000', 'hex'));
    expect(reader.status).toBe('malformed');
  });

  it('a flight that never ends (Certificate after Certificate) is cut at 512 kB', () => {
    const reader = new FlightReader();
    const records = (message: Buffer) => [0, 16384, 32768, 49152].filter((at) => at < message.length).map((at) => encodeRecord(22, 0x0303, message.subarray(at, at + 16384)));
    const hello = serverHello({ version: 0x0303, random: randomBytes(32), suite: 0xc02f, extensions: [] });
    for (const record of records(hello)) reader.push(record);
    const certificate = certificateMessage([Buffer.alloc(60_000, 1)]);
    for (let i = 0; i < 20 && !reader.ended; i++) for (const record of records(certificate)) reader.push(record);
    expect([reader.status, reader.problem]).toEqual(['malformed', 'over 524288 bytes without finishing the flight']);
  });
});

/** Findings as a capture of a server no catalogue scenario plays would have them. */
function findings(tls: Partial<TlsFindings>, probe: Partial<HelloProbeResult> = {}): Findings {
  const primary: HelloProbeResult = { probe: 'tls1.2', question: '', outcome: 'hello', steps: ['ServerHello', 'Certificate', 'ServerKeyExchange', 'ServerHelloDone'], bytes: 1000, version: 'TLSv1.2', ...probe };
  return {
    capture: { tool: 'broken-mta capture', format: 1, at: '2025-01-01T00:00:00.000Z' },
    target: { host: 'mx.customer.example', port: 25, implicit: false },
    smtp: { banner: reply(220, 'mx.customer.example ESMTP Postfix'), ehlo: reply(250, 'mx.customer.example', 'STARTTLS'), capabilities: ['STARTTLS'], starttlsAdvertised: true, starttls: reply(220, '2.0.0 Ready to start TLS') },
    tls: { probes: [primary], versions: ['TLSv1.2'], clientCertificateRequested: false, ...tls },
  };
}

const dh = (bits: number, extra: object = {}) => ({ bits, p: 'f'.repeat(bits / 4), g: '2', prime: true, safePrime: true, ...extra });

describe('the planner, on what the catalogue does not serve', () => {
  it("the server's host names become {hostname}; --keep-hostnames keeps them", () => {
    expect(planScenario(findings({})).scenario.smtp?.greeting).toBe('220 {hostname} ESMTP Postfix');
    expect(planScenario(findings({}), { keepHostnames: true }).scenario.smtp?.greeting).toBe('220 mx.customer.example ESMTP Postfix');
  });

  it('an unknown 1536-bit DH group: its own file with --out, else the nearest group and a note', () => {
    const captured = findings({ keyExchange: 'DHE', dh: dh(1536) });
    expect(planScenario(captured, { dhFile: 'x.dh.pem' })).toMatchObject({ scenario: { tls: { engine: 'scripted', dh: { file: 'x.dh.pem' } } }, dhParams: expect.stringContaining('BEGIN DH PARAMETERS') });
    const onStdout = planScenario(captured);
    expect(onStdout.scenario.tls).toMatchObject({ engine: 'scripted', dh: 2048 });
    expect(onStdout.notes.join()).toMatch(/served as the engine's 2048; write the file with --out/);
  });

  it('a TLS 1.3 server with a weak DHE group at 1.2: Node engine, the group a note', () => {
    const planned = planScenario(findings({ versions: ['TLSv1.3', 'TLSv1.2'], keyExchange: 'DHE', dh: dh(1024, { known: { name: 'rfc2409-1024', source: 'RFC 2409 Oakley group 2 (1024 bits)' } }) }));
    expect(planned.scenario.tls).toEqual({});
    expect(planned.notes.join()).toMatch(/not reproduced: the server speaks TLS 1\.3/);
  });

  it('an ECDSA key is a note, and an RSA key exchange too', () => {
    const chain = { chain: [{ subject: 'CN=x', issuer: 'CN=ca', notBefore: '', notAfter: '', key: 'ec prime256v1', digest: 'sha256', selfSigned: false }], inOrder: true, trusted: true, selfSigned: false, untrustedRoot: false, issuerPublished: false, expired: false, notYetValid: false };
    const planned = planScenario(findings({ certificate: chain, keyExchange: 'RSA', suite: 'TLS_RSA_WITH_AES_128_GCM_SHA256' }));
    expect(planned.notes.join('\n')).toMatch(/the key is ec prime256v1 \(not reproduced/);
    expect(planned.notes.join('\n')).toMatch(/RSA key exchange/);
  });

  it('every plan is a valid scenario', () => {
    for (const tls of [{}, { keyExchange: 'DHE', dh: dh(512) }, { versions: ['SSLv3'] }, { renegotiationInfo: false }]) {
      expect(() => scenarioSchema.parse(planScenario(findings(tls)).scenario)).not.toThrow();
    }
  });
});

describe('resemblance', () => {
  it('every catalogue scenario resembles one with the same features most (itself, or its twin)', () => {
    for (const scenario of catalogue()) {
      const [best] = resemble(scenario, catalogue(), 1);
      expect({ name: scenario.name, score: best?.score, same: featuresOf(catalogue().find((s) => s.name === best?.scenario)!) }).toEqual({ name: scenario.name, score: 1, same: featuresOf(scenario) });
    }
  });
});
