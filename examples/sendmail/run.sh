#!/usr/bin/env bash
# Your sendmail configuration against every known-bad peer: builds a private copy of your
# sendmail.mc pointed at broken-mta, sends one message to each scenario with the real
# sendmail, and prints a table of what your configuration does (delivered over TLS,
# delivered in plaintext, deferred, bounced) with the TLS line sendmail logged.
#
#   examples/sendmail/run.sh path/to/sendmail.mc [SCENARIO ...]
#
# e.g.  examples/sendmail/run.sh /etc/mail/sendmail.mc
#       examples/sendmail/run.sh /etc/mail/sendmail.mc weak-dh handshake-abort
#       ACCESS=my-access examples/sendmail/run.sh /etc/mail/sendmail.mc weak-dh   # try a fix
#
# The copy keeps everything of yours and changes only what a test run needs, inserted
# before your first MAILER line: every message goes to the scenario (SMART_HOST
# esmtp:[127.0.0.1], the scenario's port in ESMTP_MAILER_ARGS), broken-mta's test CA is
# trusted in place of yours (so verify= speaks of the scenario's certificate), LogLevel 20,
# a private queue. ACCESS=FILE replaces your access map with FILE (text, as for makemap).
#
# Needs root (sendmail runs in a UTS namespace of its own, to have a dotted host name
# without touching /etc/hosts) and Debian's sendmail-bin sendmail-cf m4 rsyslog. Leaves no
# daemon behind: broken-mta and, when no syslog daemon owns /dev/log, a private rsyslogd
# (mail.* into the work folder) stop on exit. The work folder (the .mc, the .cf, each
# scenario's transcript, syslog lines and events) is removed on exit unless KEEP=1.
#
# Environment: BROKEN_MTA (how to run broken-mta; default: this checkout's dist/cli.js, else
# npx broken-mta), MAIL_LOG (where your own syslog daemon writes mail.*, when one runs;
# default /var/log/mail.log), ACCESS, FROM, TO, KEEP=1.
# Exit status: 0 when every scenario ran (whatever sendmail made of it), 1 on a failure
# of the run itself, 2 on bad input.
set -euo pipefail
export PATH="$PATH:/usr/sbin:/sbin"
root=$(cd "$(dirname "$0")/../.." && pwd)
. "$root/examples/lib/common.sh"

usage() { echo "usage: $0 path/to/sendmail.mc [SCENARIO ...]" >&2; exit 2; }
[ $# -ge 1 ] || usage
mc_src=$1
shift
require_readable "$mc_src"
[ -z "${ACCESS:-}" ] || require_readable "$ACCESS" "the access map"
from=${FROM:-sender@client.example.test}
to=${TO:-rcpt@mx.broken-mta.test}

BROKEN_MTA=$(broken_mta_command "$root")
named_or_default_scenarios "$@"

require_sendmail_tools

work=$(mktemp -d "${TMPDIR:-/tmp}/broken-mta-sendmail.XXXXXX")
mta_pid=
syslog_pid=
cleanup() {
  stop_job "$mta_pid"
  stop_private_syslog
  remove_work
}
trap cleanup EXIT

# 1. Every scenario at once, each on a free port; the port map is written to a file.
list=$(IFS=,; echo "${scenarios[*]}")
serve_scenarios "$list"
ca=$($BROKEN_MTA certs 2>/dev/null | head -n 1)

# 2. Syslog: sendmail's STARTTLS and ruleset lines go nowhere else (lib/common.sh).
private_syslog

# 3. The private copy of the .mc: yours, with the test settings before your first MAILER
#    line (later defines win in m4), compiled once with a placeholder for the port.
overrides="dnl broken-mta: the settings of a test run, inserted by examples/sendmail/run.sh
define(\`SMART_HOST', \`esmtp:[127.0.0.1]')dnl
define(\`ESMTP_MAILER_ARGS', \`TCP \$h 65000')dnl
define(\`confCACERT_PATH', \`$(dirname "$ca")')dnl
define(\`confCACERT', \`$ca')dnl
define(\`confLOG_LEVEL', \`20')dnl
define(\`QUEUE_DIR', \`$work/queue')dnl
define(\`confDONT_PROBE_INTERFACES', \`true')dnl
define(\`confDONT_BLAME_SENDMAIL', \`TrustStickyBit')dnl"
compile_mc_copy "$mc_src" "$overrides" "$work/template.cf"
grep -q 'TCP \$h 65000' "$work/template.cf" || { echo "the esmtp mailer of $mc_src does not take ESMTP_MAILER_ARGS; cannot point it at broken-mta" >&2; exit 1; }

# 4. One message to each scenario, in the foreground, with a queue of its own.
classify() { # $1: syslog lines of the run, $2: queue folder
  if grep -q 'stat=Sent' "$1"; then
    if grep -q 'STARTTLS=client, relay=.*version=' "$1"; then echo "delivered over TLS"; else echo "delivered in plaintext"; fi
  elif grep -qE 'dsn=5\.' "$1"; then echo "bounced"
  elif grep -q 'stat=Deferred' "$1" || ls "$2" | grep -q '^qf'; then echo "deferred"
  else echo "unknown"
  fi
}
tls_line() { # $1: syslog lines, $2: the -v transcript; what became of STARTTLS
  local line
  line=$(grep -oE 'STARTTLS=client, error: connect failed=-?[0-9]+, reason=[^,]*' "$1" | head -n 1 || true)
  [ -n "$line" ] || line=$(grep -oE 'STARTTLS=client, relay=[^,]*, version=[^,]*, verify=[A-Z]+' "$1" | head -n 1 || true)
  local ruleset
  ruleset=$(grep -oE 'ruleset=(tls_server|try_tls), arg1=[^,]*(, relay=[^,]*)?, reject=[^,]*' "$1" | head -n 1 || true)
  [ -z "$ruleset" ] || line="${line:+$line; }$ruleset"
  local reply
  reply=$(grep -oE 'stat=Deferred: [0-9]{3} [^,]*|reply=[45][0-9]{2} [^,]*' "$1" | head -n 1 || true)
  # A refused STARTTLS reaches only the transcript: the reply after >>> STARTTLS.
  local refused
  refused=$(grep -A1 '^>>> STARTTLS' "$2" | grep -oE '^[45][0-9]{2} .*' | head -n 1 | tr -d '\r' || true)
  [ -n "$line" ] || [ -z "$refused" ] || line="STARTTLS refused (in the -v transcript only): $refused"
  [ -n "$line" ] || line="no STARTTLS${reply:+ ($reply)}"
  echo "$line"
}

printf '%-26s %-23s %s\n' scenario outcome "what sendmail logged"
failures=0
for scenario in "${scenarios[@]}"; do
  port=$(port_of "$scenario")
  [ -n "$port" ] || { echo "no port for $scenario in $(cat "$work/ports.json")" >&2; exit 1; }
  dir=$work/$scenario
  mkdir -p "$dir"
  rm -rf "$work/queue" && mkdir -m 700 "$work/queue"
  sed "s/TCP \$h 65000/TCP \$h $port/" "$work/template.cf" >"$dir/sendmail.cf"
  offset=$(stat -c %s "$mail_log" 2>/dev/null || echo 0)
  printf 'From: %s\nTo: %s\nSubject: broken-mta %s\n\nSent by sendmail to the %s scenario.\n' "$from" "$to" "$scenario" "$scenario" >"$dir/message"
  set +e
  timeout 60 unshare -u sh -c 'hostname client.example.test && exec sendmail -v -Am -C "$1" -ODeliveryMode=i -f "$2" "$3"' \
    sh "$dir/sendmail.cf" "$from" "$to" <"$dir/message" >"$dir/transcript" 2>&1
  echo $? >"$dir/exit"
  set -e
  # The run's syslog lines; a marker sent after them proves they have all arrived.
  marker="broken-mta-mark-$$-$RANDOM"
  logger -u /dev/log -p mail.info -t broken-mta "$marker"
  for _ in $(seq 50); do grep -q "$marker" "$mail_log" 2>/dev/null && break; sleep 0.1; done
  tail -c +"$((offset + 1))" "$mail_log" 2>/dev/null | grep -v "$marker" >"$dir/syslog" || true
  ls "$work/queue" >"$dir/queue"
  outcome=$(classify "$dir/syslog" "$work/queue")
  [ "$outcome" != unknown ] || failures=$((failures + 1))
  printf '%-26s %-23s %s\n' "$scenario" "$outcome" "$(tls_line "$dir/syslog" "$dir/transcript")"
done
rm -rf "$work/queue"
[ "${KEEP:-}" = 1 ] && echo "each scenario's transcript, syslog lines and exit code: $work/SCENARIO/" >&2
[ "$failures" -eq 0 ] || { echo "$failures scenario(s) gave no outcome sendmail logged; KEEP=1 keeps the transcripts" >&2; exit 1; }
