// What a client that only opens a session (openssl, gnutls-cli) is given to send, and the
// test identities every client kind uses: one home, so every command line sends the same.

export const FROM = 'sender@client.example.test';
export const TO = 'rcpt@mx.broken-mta.test';
export const HELO = 'client.example.test';
/** The test credentials: the sender's address and this password (or, for XOAUTH2, token). */
export const AUTH_USER = FROM;
export const AUTH_SECRET = 'broken-mta-test-secret';
/** The text of an 8-bit body (`eightBit`): UTF-8, as it is. */
export const EIGHT_BIT_TEXT = 'Grüße aus broken-mta: 8-bit text';
export const EIGHT_BIT_HEADER = ['Subject: broken-mta', 'MIME-Version: 1.0', 'Content-Type: text/plain; charset=utf-8', 'Content-Transfer-Encoding: 8bit'];

const MESSAGE_LINES = ['Subject: broken-mta', '', 'hello'];

/** The message in BDAT chunks of whole lines, each at most `bytes` where a line allows (CRLF counted: openssl -crlf sends it). */
function bdatChunks(bytes: number): string[] {
  const chunks: string[][] = [];
  let size = Infinity;
  for (const line of MESSAGE_LINES) {
    if (size + line.length + 2 > bytes) {
      chunks.push([]);
      size = 0;
    }
    chunks.at(-1)!.push(line);
    size += line.length + 2;
  }
  return chunks.flatMap((lines, index) => {
    const length = lines.reduce((sum, line) => sum + line.length + 2, 0);
    return [`BDAT ${length}${index === chunks.length - 1 ? ' LAST' : ''}`, ...lines];
  });
}

/**
 * An SMTP transaction, for clients that only open the TLS session (openssl, gnutls): the
 * message by DATA, or in BDAT chunks; lines end with \n (openssl -crlf adds the \r) or \r\n.
 */
export const smtpTransaction = (to: string[], { eol = '\\n', bdat }: { eol?: string; bdat?: number | undefined } = {}) => {
  const message = bdat ? bdatChunks(bdat) : ['DATA', ...MESSAGE_LINES, '.'];
  return `printf '${[`EHLO ${HELO}`, `MAIL FROM:<${FROM}>`, ...to.map((rcpt) => `RCPT TO:<${rcpt}>`), ...message, 'QUIT', ''].join(eol)}'`;
};

/**
 * gnutls-cli reads its input until the end and then closes the session, so the
 * transaction is followed by a pause in which the server's replies arrive. Its lines end
 * in \r\n already: gnutls-cli 3.7's --crlf garbles the start of the line after the first.
 */
export const pacedTransaction = (to: string[]) => `{ ${smtpTransaction(to, { eol: '\\r\\n' })}; sleep 2; }`;
