import { defineFault } from './fault.js';

// RFC 4954 lets a client put its first answer on the AUTH line (`AUTH LOGIN dXNlcg==`);
// servers written before it ignore that and ask again (`334 VXNlcm5hbWU6`, "Username:").
// A client that counts challenges (Python's smtplib) then answers with its password.
export default defineFault({
  name: 'ignore-initial-response',
  summary: 'Answer AUTH MECHANISM INITIAL-RESPONSE as if the initial response had not been sent: the exchange starts at the first challenge',
  steps: ['AUTH'],
  settings: {},
  apply(target) {
    const [mechanism = '', initialResponse] = target.argument.split(/\s+/);
    if (!initialResponse) return { handled: false, detail: `AUTH ${mechanism} came without an initial response: nothing to ignore` };
    return { handled: false, detail: `ignored the initial response of AUTH ${mechanism}: asking for it again`, instead: `AUTH ${mechanism}` };
  },
});
