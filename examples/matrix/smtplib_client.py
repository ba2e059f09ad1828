#!/usr/bin/env python3
"""A client in another language for `broken-mta matrix`: Python's smtplib sends one
message, with STARTTLS when the server offers it (verifying the test CA), and prints what
came of it. Its exit status says whether the message went: 0 sent, 1 refused or failed.

    broken-mta matrix -- python3 examples/matrix/smtplib_client.py {host} {port} {ca}

The catalogue's smtplib claims run it too, with a fifth argument of JSON settings where a
claim asks for more (src/claims/clients.ts writes them): "tls" (none, required, implicit),
"verify", "timeout", "to", "text" or "bytes" (the body), and "auth" ({"mechanism", "user", "password"}).
"""
import json
import smtplib
import ssl
import sys
from email.message import EmailMessage

host, port, ca = sys.argv[1], int(sys.argv[2]), sys.argv[3]
settings = json.loads(sys.argv[4]) if len(sys.argv) > 4 else {}
sender = "sender@client.example.test"
recipients = settings.get("to", ["rcpt@mx.broken-mta.test"])
tls = settings.get("tls", "offered")
context = ssl.create_default_context(cafile=ca)
if settings.get("verify") is False:
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
message = EmailMessage()
message["From"] = sender
message["To"] = ", ".join(recipients)
message["Subject"] = "broken-mta"
message.set_content(settings.get("text", "x" * settings["bytes"] if "bytes" in settings else "hello"))


def authenticate(smtp, auth):
    """With the mechanism the claim names, as smtplib's own authobjects speak it."""
    smtp.user, smtp.password = auth["user"], auth["password"]
    mechanism = auth["mechanism"]
    if mechanism == "any":
        smtp.login(smtp.user, smtp.password)
    elif mechanism == "XOAUTH2":
        token = f"user={smtp.user}\x01auth=Bearer {smtp.password}\x01\x01"
        # The answer to the server's error challenge is an empty line (RFC 7628).
        smtp.auth("XOAUTH2", lambda challenge=None: token if challenge is None else "")
    else:
        smtp.auth(mechanism, getattr(smtp, "auth_" + mechanism.lower()))


try:
    timeout = settings.get("timeout", 5)
    if tls == "implicit":
        smtp = smtplib.SMTP_SSL(host, port, local_hostname="client.example.test", timeout=timeout, context=context)
    else:
        smtp = smtplib.SMTP(host, port, local_hostname="client.example.test", timeout=timeout)
    with smtp:
        smtp.ehlo_or_helo_if_needed()
        if tls == "required" or (tls == "offered" and smtp.has_extn("starttls")):
            smtp.starttls(context=context)
            smtp.ehlo_or_helo_if_needed()
        if "auth" in settings:
            authenticate(smtp, settings["auth"])
        smtp.send_message(message, sender, recipients)
    print("sent")
except (smtplib.SMTPException, ssl.SSLError, OSError) as error:
    print(f"{type(error).__name__}: {error}")
    sys.exit(1)
