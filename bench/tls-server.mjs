// A bare Node TLS server, no SMTP: what Node's TLS costs a handshake, measured beside
// broken-mta's in bench/run.mjs. Prints its port; each connection is closed once secure.
//
//   node bench/tls-server.mjs CERT.pem dhe|default
import { readFileSync } from 'node:fs';
import { createServer } from 'node:tls';

const [file, kind] = process.argv.slice(2);
const pem = readFileSync(file, 'utf8');
// As bench/dhe-2048.yaml serves it, or as scenario good does.
const dhe = { dhparam: 'auto', maxVersion: 'TLSv1.2', ciphers: 'DHE-RSA-AES128-GCM-SHA256' };
const server = createServer({ key: pem, cert: pem, ...(kind === 'dhe' ? dhe : {}) }, (socket) => {
  socket.on('error', () => undefined);
  socket.end();
});
server.on('tlsClientError', () => undefined);
server.listen(0, '127.0.0.1', () => console.log((server.address()).port));
