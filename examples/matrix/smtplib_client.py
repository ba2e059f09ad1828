#!/usr/bin/env python3
"""A client in another language for `broken-mta matrix`: Python's smtplib sends one
message, with STARTTLS when the server offers it (verifying the test CA), and prints what
came of it. Its exit status says whether the message went: 0 sent, 1 refused or failed.

    broken-mta matrix -- python3 examples/matrix/smtplib_client.py {host} {port} {ca}
"""
import smtplib
import ssl
import sys

host, port, ca = sys.argv[1], int(sys.argv[2]), sys.argv[3]
context = ssl.create_default_context(cafile=ca)
message = "From: sender@client.example.test\r\nTo: rcpt@mx.broken-mta.test\r\nSubject: broken-mta\r\n\r\nhello\r\n"
try:
    with smtplib.SMTP(host, port, local_hostname="client.example.test", timeout=5) as smtp:
        smtp.ehlo()
        if smtp.has_extn("starttls"):
            smtp.starttls(context=context)
            smtp.ehlo()
        smtp.sendmail("sender@client.example.test", ["rcpt@mx.broken-mta.test"], message)
    print("sent")
except (smtplib.SMTPException, ssl.SSLError, OSError) as error:
    print(f"{type(error).__name__}: {error}")
    sys.exit(1)
