// A real server's first flight (ServerHello, Certificate, ...) for a given ClientHello,
// made by Node's own TLS in memory, so a fault can send part of it and stop.
import { Duplex } from 'node:stream';
import { TLSSocket, type SecureContext } from 'node:tls';

export function serverFlight(secureContext: SecureContext, clientHello: Buffer, settleMs = 50): Promise<Buffer> {
  return new Promise((resolve) => {
    const written: Buffer[] = [];
    const wire = new Duplex({
      read() {},
      write(chunk: Buffer, _encoding, callback) {
        written.push(chunk);
        callback();
      },
    });
    const server = new TLSSocket(wire, { isServer: true, secureContext });
    server.on('error', () => undefined);
    wire.push(clientHello);
    // The flight is written in one go once the hello is read; a short pause collects it all.
    setTimeout(() => {
      server.destroy();
      wire.destroy();
      resolve(Buffer.concat(written));
    }, settleMs);
  });
}
