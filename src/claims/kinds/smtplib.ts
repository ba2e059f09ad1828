import { AUTH_SECRET, AUTH_USER, EIGHT_BIT_TEXT, FROM, HELO } from '../transaction.js';
import { type ClientKind, recipients, shellWord } from '../kind.js';

// Python's smtplib, as an application uses it: one message with send_message(), inside
// `with` (QUIT at the end), STARTTLS when offered (or as `tls` says), authenticated as
// `auth` says (with smtplib's own authobjects), and what came of it printed as the
// application would log it: the exception's class and text. send_message() is what checks
// that the server offers SMTPUTF8 for an international address. The script goes in on
// stdin, a line a word, so the command stays one line to paste.
const SMTPLIB_SCRIPT = [
  'import json, smtplib, ssl, sys',
  'from email.message import EmailMessage',
  'o = json.loads(sys.argv[1])',
  'context = ssl.create_default_context(cafile=o["ca"])',
  'if not o["verify"]: context.check_hostname = False; context.verify_mode = ssl.CERT_NONE',
  'if o["cert"]: context.load_cert_chain(o["cert"], o["key"])',
  'message = EmailMessage()',
  'message["From"], message["To"], message["Subject"] = o["from"], ", ".join(o["to"]), "broken-mta"',
  'message.set_content(o["text"] or ("x" * o["bytes"] if o["bytes"] else "hello"))',
  'def login(smtp, auth):',
  '  smtp.user, smtp.password = auth["user"], auth["password"]',
  '  if auth["mechanism"] == "any": return smtp.login(smtp.user, smtp.password)',
  '  token = "user=" + smtp.user + "\\x01auth=Bearer " + smtp.password + "\\x01\\x01"',
  '  if auth["mechanism"] == "XOAUTH2": return smtp.auth("XOAUTH2", lambda challenge=None: token if challenge is None else "")',
  '  smtp.auth(auth["mechanism"], getattr(smtp, "auth_" + auth["mechanism"].lower()))',
  'implicit = o["tls"] == "implicit"',
  'connect, extra = (smtplib.SMTP_SSL, {"context": context}) if implicit else (smtplib.SMTP, {})',
  'try:',
  '  with connect(o["host"], o["port"], local_hostname=o["helo"], timeout=o["timeout"], **extra) as smtp:',
  '    smtp.ehlo()',
  '    if o["tls"] == "required" or (o["tls"] == "offered" and smtp.has_extn("starttls")):',
  '      smtp.starttls(context=context)',
  '      smtp.ehlo()',
  '    if o["auth"]: login(smtp, o["auth"])',
  '    refused = smtp.send_message(message, o["from"], o["to"])',
  '    print("sent", *["refused: " + rcpt + " " + str(code) for rcpt, (code, text) in refused.items()])',
  'except Exception as error:',
  '  print(type(error).__name__ + ": " + str(error))',
  '  sys.exit(1)',
];

export const smtplib: ClientKind = {
  name: 'smtplib',
  program: 'python3',
  settings: ['tls', 'verify', 'clientCert', 'timeout', 'to', 'messageBytes', 'eightBit', 'auth'],
  // Without `tls` it takes STARTTLS when offered and fails when it is refused, as the
  // example client does; it has no fallback to plaintext of its own.
  tlsModes: ['none', 'required', 'implicit'],
  hasLog: false,
  invoke(settings, target) {
    const timeout = settings.timeout ?? 5;
    const options = {
      host: target.host,
      port: Number(target.port) || target.port,
      helo: HELO,
      tls: settings.tls ?? 'offered',
      verify: settings.verify !== false,
      ca: target.ca,
      cert: settings.clientCert ? target.clientCert : null,
      key: settings.clientCert ? target.clientKey : null,
      timeout,
      from: FROM,
      to: recipients(settings),
      bytes: settings.messageBytes ?? 0,
      // EmailMessage sends UTF-8 text as it is (Content-Transfer-Encoding: 8bit).
      text: settings.eightBit ? EIGHT_BIT_TEXT : '',
      auth: settings.auth ? { mechanism: settings.auth, user: AUTH_USER, password: AUTH_SECRET } : null,
    };
    const stdin = `printf '%s\\n' ${SMTPLIB_SCRIPT.map(shellWord).join(' ')}`;
    return { kind: 'command', argv: ['python3', '-', JSON.stringify(options)], stdin, timeoutMs: 3 * timeout * 1000 + 15_000 };
  },
};
