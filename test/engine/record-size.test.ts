// recordBytes: the engine cuts every handshake message and every reply into records of at
// most that many bytes (the record-size fault's one-byte records), and a real client still
// completes the handshake and reads the reply.
import { describe, expect, it } from 'vitest';
import { TlsServerEngine } from '../../src/tls/engine/engine.js';
import { ContentType, RecordReader } from '../../src/tls/engine/records.js';
import { capturedHello, engineConfig, runClient } from './support.js';

describe('records of one byte', () => {
  it('the server flight to a real ClientHello is one-byte handshake records, byte for byte the same messages', async () => {
    const { caFile: _caFile, ...config } = await engineConfig({ randomBytes: (n) => Buffer.alloc(n, 7) });
    const whole = new TlsServerEngine(config).receive(capturedHello('openssl')).bytes;
    const cut = new TlsServerEngine({ ...config, recordBytes: 1 }).receive(capturedHello('openssl')).bytes;
    const wholeRecords = new RecordReader().push(whole);
    const cutRecords = new RecordReader().push(cut);
    expect(cutRecords.every((record) => record.type === ContentType.Handshake && record.fragment.length === 1)).toBe(true);
    expect(Buffer.concat(cutRecords.map((record) => record.fragment))).toEqual(Buffer.concat(wholeRecords.map((record) => record.fragment)));
    expect(cutRecords.length).toBe(Buffer.concat(wholeRecords.map((record) => record.fragment)).length);
  });

  it("Node's client (OpenSSL) reassembles the handshake; the echo comes a record, so a read, at a time", async () => {
    const { caFile, ...config } = await engineConfig({ recordBytes: 1 });
    const run = await runClient(new TlsServerEngine(config), { maxVersion: 'TLSv1.2' }, caFile);
    expect(run.error).toBeUndefined();
    expect(run.events.some((event) => event.type === 'handshake-complete')).toBe(true);
    // The client's first read of "echo: ping" is its first record: one byte.
    expect(run.reply).toBe('e');
  });
});
