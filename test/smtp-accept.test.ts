// serveScenario with `listen: false`: a port owned by someone else (the control API's
// listener) hands each accepted socket to the scenario chosen for it. Two scenarios on
// one port, session numbers shared, and a close that still gives open sessions their 421.
import { createServer, type Server } from 'node:net';
import { describe, expect, it } from 'vitest';
import { loadScenario } from '../src/index.js';
import { serveScenario } from '../src/smtp/server.js';
import { rawConnect, readUntil, sendWithNodemailer } from './support/clients.js';

function listenOnFreePort(server: Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)));
}

describe('serveScenario without a port of its own', () => {
  it('serves sockets handed to it, numbering sessions with the port, and binds nothing', async () => {
    let sessions = 0;
    const common = { host: '127.0.0.1', port: 0, hostname: 'mx.broken-mta.test', listen: false, nextSessionNumber: () => ++sessions };
    const accepting = await serveScenario(loadScenario('groupwise-450'), common);
    const refusing = await serveScenario(loadScenario('mailbox-full-452'), common);
    let turn = 0;
    const port = createServer((socket) => (turn++ === 1 ? refusing : accepting).accept(socket));
    const portNumber = await listenOnFreePort(port);
    try {
      const first = await sendWithNodemailer({ port: portNumber, opportunisticTLS: true });
      const second = await sendWithNodemailer({ port: portNumber, opportunisticTLS: true });
      const third = await sendWithNodemailer({ port: portNumber, opportunisticTLS: true });
      expect([first.ok, second.ok, third.ok]).toEqual([true, false, true]);
      expect(second.error?.message).toContain('452 4.2.2 Mailbox full');
      expect(accepting.messages.map((message) => message.session)).toEqual([1, 3]);
      expect(refusing.events.events.filter((e) => e.type === 'connect').map((e) => e.session)).toEqual([2]);
      expect([accepting.sessions(), refusing.sessions()]).toEqual([2, 1]);
    } finally {
      await Promise.all([accepting.close(), refusing.close()]);
      await new Promise((resolve) => port.close(resolve));
    }
  });

  it('close() tells an open session 421 4.3.2 and waits for it to end', async () => {
    const server = await serveScenario(loadScenario('good'), { host: '127.0.0.1', port: 0, hostname: 'mx.broken-mta.test', listen: false });
    const port = createServer((socket) => server.accept(socket));
    const portNumber = await listenOnFreePort(port);
    try {
      const client = await rawConnect(portNumber);
      await readUntil(client, /^220 /m);
      expect(server.openSessions()).toBe(1);
      const [said] = await Promise.all([readUntil(client, /^421 /m), server.close()]);
      expect(said).toMatch(/^421 4\.3\.2 Service shutting down/m);
      expect(server.openSessions()).toBe(0);
      client.destroy();
    } finally {
      await new Promise((resolve) => port.close(resolve));
    }
  });
});
