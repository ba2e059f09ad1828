// Fuzz for the legacy suites: whole client flights (ClientHello to application data),
// recorded once from Node's TLS client against an engine whose random source is fixed, so
// that the same bytes replay to the end; then mutated and fed back in pieces. Each run ends
// in an alert the engine chose or a state that waits for more, never in an engine error.
// RC4 and 3DES, which Node cannot speak, are fuzzed at the record layer instead. Bounded:
// a few hundred runs in `npm test`; FUZZ_SESSIONS for more, FUZZ_SEED to replay one.
import { describe, expect, it } from 'vitest';
import { AlertError } from '../../src/tls/engine/alert-error.js';
import { TlsServerEngine, type EngineConfig, type EngineEvent, type EngineOutput } from '../../src/tls/engine/engine.js';
import { RecordProtection, RecordReader } from '../../src/tls/engine/records.js';
import { findSuite, VERSION_CODES } from '../../src/tls/engine/suites.js';
import { fuzzSeed, fuzzSessions, Random } from '../support/random.js';
import { engineConfig, runClient } from './support.js';

const fixedRandom = (length: number) => Buffer.alloc(length, 0x5c);

/** Every byte the client sent, in order. */
class RecordingEngine extends TlsServerEngine {
  readonly input: Buffer[] = [];
  override receive(bytes: Buffer): EngineOutput {
    this.input.push(Buffer.from(bytes));
    return super.receive(bytes);
  }
}

async function recordFlight(suiteName: string, version: 'TLSv1' | 'TLSv1.2'): Promise<{ config: EngineConfig; flight: Buffer }> {
  const { caFile, ...config } = await engineConfig({ suites: [findSuite(suiteName)!], randomBytes: fixedRandom });
  const engine = new RecordingEngine(config);
  const run = await runClient(engine, { minVersion: version, maxVersion: version, ciphers: `${suiteName}:@SECLEVEL=0` }, caFile);
  expect(run.reply).toBe('echo: ping');
  return { config, flight: Buffer.concat(engine.input) };
}

const engineErrors = (events: EngineEvent[]) => events.filter((event) => event.type === 'alert-sent' && event.reason.startsWith('engine error'));

describe('fuzz: mutated client flights on the static RSA suites', () => {
  const flights = [
    { suite: 'AES128-SHA', version: 'TLSv1' },
    { suite: 'AES128-GCM-SHA256', version: 'TLSv1.2' },
    { suite: 'NULL-SHA', version: 'TLSv1.2' },
    { suite: 'NULL-MD5', version: 'TLSv1' },
  ] as const;

  it.each(flights)('$suite at $version: the recorded flight replays to the end; mutated, it ends in an alert or waits', async ({ suite, version }) => {
    const { config, flight } = await recordFlight(suite, version);
    const replay = new TlsServerEngine(config);
    const { events } = replay.receive(flight);
    expect(replay.state).toBe('established');
    expect(events).toContainEqual({ type: 'application-data', data: Buffer.from('ping') });

    const seed = fuzzSeed();
    const random = new Random(seed);
    const runs = fuzzSessions(150);
    const outcomes = { alert: 0, waiting: 0, established: 0 };
    for (let i = 0; i < runs; i++) {
      const engine = new TlsServerEngine(config);
      const input = random.mutate(flight);
      const seen: EngineEvent[] = [];
      for (let offset = 0; offset < input.length && engine.state !== 'closed'; ) {
        const step = 1 + random.int(300);
        seen.push(...engine.receive(input.subarray(offset, offset + step)).events);
        offset += step;
      }
      expect(engineErrors(seen), `seed ${seed}, run ${i}`).toEqual([]);
      const alerted = seen.some((event) => event.type === 'alert-sent' && event.fatal);
      if (alerted) expect(engine.state, `seed ${seed}, run ${i}`).toBe('closed');
      outcomes[alerted ? 'alert' : engine.state === 'established' ? 'established' : 'waiting']++;
    }
    console.log(`legacy fuzz ${suite} ${version}: seed ${seed}, ${runs} flights: ${outcomes.alert} alerts, ${outcomes.waiting} waiting, ${outcomes.established} established`);
    expect(outcomes.alert).toBeGreaterThan(0);
  });
});

describe('fuzz: mutated records under RC4 and 3DES', () => {
  const suites = ['RC4-SHA', 'RC4-MD5', 'DES-CBC3-SHA', 'EDH-RSA-DES-CBC3-SHA', 'EXP-EDH-RSA-DES-CBC-SHA'];

  it.each(suites)('%s: a mutated record opens to bad_record_mac (or, by chance, a valid one), never another error', (name) => {
    const suite = findSuite(name)!;
    const seed = fuzzSeed();
    const random = new Random(seed);
    const versions = suite.exportable ? [VERSION_CODES.TLSv1] : [VERSION_CODES.TLSv1, VERSION_CODES['TLSv1.1'], VERSION_CODES['TLSv1.2']];
    for (const version of versions) {
      const keyLength = suite.exportable ? 8 : suite.keyLength;
      const keys = { suite, key: random.bytes(keyLength), macKey: random.bytes(suite.macLength), iv: random.bytes(suite.exportable ? 8 : suite.ivLength) };
      for (let i = 0; i < fuzzSessions(100); i++) {
        // A fresh pair for each record: stream ciphers and TLS 1.0's chained IVs carry state on.
        const sender = new RecordProtection(() => version, (length) => random.bytes(length));
        const receiver = new RecordProtection(() => version);
        sender.activate(keys);
        receiver.activate(keys);
        const sealed = sender.seal(23, random.bytes(random.int(200)));
        const mutated = random.mutate(sealed.subarray(5));
        const record = new RecordReader().push(Buffer.concat([sealed.subarray(0, 3), Buffer.of(mutated.length >> 8, mutated.length & 0xff), mutated]))[0]!;
        try {
          receiver.open(record);
        } catch (error) {
          expect(error, `seed ${seed}, ${name}, version ${version}, run ${i}`).toBeInstanceOf(AlertError);
          expect((error as AlertError).alert).toBe(20);
        }
      }
    }
  });
});
