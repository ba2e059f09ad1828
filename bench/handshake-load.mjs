// One load process for the handshake benchmark: STARTTLS + DHE handshakes against
// 127.0.0.1:PORT for SECONDS, PARALLEL at a time; prints how many completed.
import { connect } from 'node:net';
import { connect as tlsConnect } from 'node:tls';

const [port, seconds, parallel] = process.argv.slice(2).map(Number);
const deadline = Date.now() + seconds * 1000;

function handshake() {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, noDelay: true });
    let buffer = '';
    let step = 0;
    socket.setTimeout(10_000, () => socket.destroy(new Error('timed out')));
    socket.on('error', reject);
    socket.on('data', (chunk) => {
      buffer += chunk;
      if (!buffer.endsWith('\r\n') || /^\d{3}-/.test(buffer.split('\r\n').at(-2) ?? '')) return;
      const reply = buffer;
      buffer = '';
      if (step === 0) (step = 1), socket.write('EHLO bench.example.test\r\n');
      else if (step === 1) (step = 2), socket.write('STARTTLS\r\n');
      else {
        if (!reply.startsWith('220')) return reject(new Error(`STARTTLS refused: ${reply}`));
        socket.removeAllListeners('data');
        const secure = tlsConnect({ socket, rejectUnauthorized: false, maxVersion: 'TLSv1.2', ciphers: 'DHE-RSA-AES128-GCM-SHA256' }, () => {
          secure.destroy();
          resolve();
        });
        secure.on('error', reject);
      }
    });
  });
}

let done = 0;
await Promise.all(
  Array.from({ length: parallel }, async () => {
    while (Date.now() < deadline) {
      await handshake();
      done++;
    }
  }),
);
console.log(done);
