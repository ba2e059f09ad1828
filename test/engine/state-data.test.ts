// The engine's own contract, beyond what clients see: a caller's mistake is a typed error
// that leaves the connection as it was, and the server's first flight repeats byte for
// byte when its random source is fixed (server random and DH exponent come from it).
import { describe, expect, it } from 'vitest';
import { EngineUsageError } from '../../src/tls/engine/alert-error.js';
import { TlsServerEngine } from '../../src/tls/engine/engine.js';
import { capturedHello, engineConfig } from './support.js';

describe('TlsServerEngine', () => {
  it('refuses to send before the handshake with an EngineUsageError, and goes on as it was', async () => {
    const engine = new TlsServerEngine(await engineConfig());
    expect(() => engine.send(Buffer.from('too early'))).toThrow(EngineUsageError);
    expect(engine.state).toBe('wait-client-hello');
    const { events } = engine.receive(capturedHello('openssl'));
    expect(events.map((event) => event.type)).toContain('client-hello');
    expect(engine.state).toBe('wait-client-key-exchange');
  });

  it('answers the same hello with the same bytes when its random source is fixed', async () => {
    const fixed = (length: number) => Buffer.alloc(length, 7);
    const first = new TlsServerEngine(await engineConfig({ randomBytes: fixed })).receive(capturedHello('openssl-tls1'));
    const second = new TlsServerEngine(await engineConfig({ randomBytes: fixed })).receive(capturedHello('openssl-tls1'));
    expect(first.bytes.length).toBeGreaterThan(0);
    expect(second.bytes.equals(first.bytes)).toBe(true);
  });
});
