#!/bin/sh
# A client written in shell for `broken-mta matrix`: openssl s_client over STARTTLS, which
# refuses a certificate it cannot verify, then one SMTP transaction typed into the session.
#
#   broken-mta matrix -- sh examples/matrix/openssl-client.sh {host} {port} {ca}
set -eu
printf 'EHLO client.example.test\nMAIL FROM:<sender@client.example.test>\nRCPT TO:<rcpt@mx.broken-mta.test>\nDATA\nSubject: broken-mta\n\nhello\n.\nQUIT\n' |
  exec openssl s_client -quiet -ign_eof -starttls smtp -crlf -connect "$1:$2" -CAfile "$3" -verify_return_error
