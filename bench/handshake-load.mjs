// One load process for the handshake benchmark: STARTTLS handshakes against 127.0.0.1:PORT
// for SECONDS, PARALLEL at a time; prints how many completed.
//
//   node bench/handshake-load.mjs PORT SECONDS PARALLEL [dhe|default] [starttls|tls]
//
// dhe: TLS 1.2 DHE-RSA-AES128-GCM-SHA256 only. default: what Node's client offers by default
// (TLS 1.3 with X25519 against an RSA certificate, so an RSA-PSS signature). The first
// handshake is checked to be what was asked for, so a figure never measures another path.
// starttls (the default): EHLO, STARTTLS, then the handshake; tls: the handshake alone,
// against a bare TLS server (bench/tls-server.mjs, openssl s_server).
import { connect } from 'node:net';
import { connect as tlsConnect } from 'node:tls';

const [port, seconds, parallel] = process.argv.slice(2, 5).map(Number);
const kind = process.argv[5] ?? 'dhe';
const starttls = (process.argv[6] ?? 'starttls') === 'starttls';
const KINDS = {
  dhe: {
    options: { maxVersion: 'TLSv1.2', ciphers: 'DHE-RSA-AES128-GCM-SHA256' },
    check: (secure, key) => key.type === 'DH' && key.size === 2048 && secure.getProtocol() === 'TLSv1.2',
  },
  default: {
    options: {},
    check: (secure, key) => key.name === 'X25519' && secure.getProtocol() === 'TLSv1.3',
  },
};
const { options, check } = KINDS[kind] ?? (() => { throw new Error(`unknown kind ${kind}: dhe or default`); })();
const deadline = Date.now() + seconds * 1000;
let checked = false;

/** The TLS handshake over a connected socket; resolves once it is secure, and closes. */
function secureOver(socket, resolve, reject) {
  const secure = tlsConnect({ socket, rejectUnauthorized: false, ...options }, () => {
    if (!checked) {
      const key = secure.getEphemeralKeyInfo();
      if (!check(secure, key)) return reject(new Error(`not the ${kind} path: ${secure.getProtocol()} ${secure.getCipher().name} ${JSON.stringify(key)}`));
      checked = true;
    }
    secure.destroy();
    resolve();
  });
  secure.on('error', reject);
}

function handshake() {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, noDelay: true });
    if (!starttls) {
      socket.on('error', reject);
      return socket.once('connect', () => secureOver(socket, resolve, reject));
    }
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
        secureOver(socket, resolve, reject);
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
