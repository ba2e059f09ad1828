#!/usr/bin/env bash
# Send one message with the real sendmail to a broken-mta scenario and show what sendmail
# says: the -v transcript, the lines it logged to syslog, and what the server saw.
#
#   examples/sendmail/run.sh SCENARIO [ACCESS-MAP-FILE]
#
# e.g.  examples/sendmail/run.sh handshake-abort
#       printf 'Try_TLS:127.0.0.1\tNO\n' > /tmp/access && examples/sendmail/run.sh handshake-abort /tmp/access
#
# Needs root (sendmail runs in a UTS namespace of its own, to have a dotted host name
# without touching /etc/hosts) and Debian's sendmail-bin sendmail-cf m4 rsyslog. Starts no
# daemon that outlives it: broken-mta and, when no syslog daemon owns /dev/log, a private
# rsyslogd (mail.* into the work folder) are stopped on exit. Everything else (the .mc, the
# .cf, the access map, the queue) lives in a temp folder, removed on exit unless KEEP=1.
#
# Environment: BROKEN_MTA (how to run broken-mta; default: this checkout's dist/cli.js, else
# npx broken-mta), MAIL_LOG (where your own syslog daemon writes mail.*, when one runs;
# default /var/log/mail.log), FROM, TO, KEEP=1.
set -euo pipefail
export PATH="$PATH:/usr/sbin:/sbin"

usage() { echo "usage: $0 SCENARIO [ACCESS-MAP-FILE]" >&2; exit 2; }
[ $# -ge 1 ] && [ $# -le 2 ] || usage
scenario=$1
access_src=${2:-}
[ -z "$access_src" ] || [ -r "$access_src" ] || { echo "cannot read the access map $access_src" >&2; exit 2; }
from=${FROM:-sender@client.example.test}
to=${TO:-rcpt@mx.broken-mta.test}

root=$(cd "$(dirname "$0")/../.." && pwd)
if [ -z "${BROKEN_MTA:-}" ]; then
  if [ -f "$root/dist/cli.js" ]; then BROKEN_MTA="node $root/dist/cli.js"; else BROKEN_MTA="npx broken-mta"; fi
fi

missing=()
for tool in sendmail:sendmail-bin makemap:sendmail-bin m4:m4 rsyslogd:rsyslog logger:bsdutils unshare:util-linux; do
  command -v "${tool%%:*}" >/dev/null || missing+=("${tool%%:*} (package ${tool#*:})")
done
cf_m4=/usr/share/sendmail/cf/m4/cf.m4
[ -f "$cf_m4" ] || missing+=("$cf_m4 (package sendmail-cf)")
if [ ${#missing[@]} -gt 0 ]; then
  echo "missing: ${missing[*]}" >&2
  echo "install: apt-get install sendmail-bin sendmail-cf m4 rsyslog" >&2
  exit 2
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/broken-mta-sendmail.XXXXXX")
mta_pid=
syslog_pid=
cleanup() {
  [ -z "$mta_pid" ] || { kill "$mta_pid" 2>/dev/null || true; wait "$mta_pid" 2>/dev/null || true; }
  if [ -n "$syslog_pid" ]; then
    kill "$syslog_pid" 2>/dev/null || true
    wait "$syslog_pid" 2>/dev/null || true
    grep -q ' /dev/log$' /proc/net/unix || rm -f /dev/log
  fi
  if [ "${KEEP:-}" = 1 ]; then echo "kept: $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT

# 1. The scenario, on a free port; its first JSON line names the port.
$BROKEN_MTA --scenario "$scenario" --port 0 --json >"$work/events.jsonl" 2>"$work/broken-mta.err" &
mta_pid=$!
for _ in $(seq 100); do
  grep -q '"type":"listening"' "$work/events.jsonl" 2>/dev/null && break
  kill -0 "$mta_pid" 2>/dev/null || { cat "$work/broken-mta.err" >&2; mta_pid=; exit 2; }
  sleep 0.1
done
port=$(sed -n '1s/.*"port":\([0-9]*\).*/\1/p' "$work/events.jsonl")
[ -n "$port" ] || { echo "broken-mta did not start:" >&2; cat "$work/broken-mta.err" >&2; exit 1; }
ca=$($BROKEN_MTA certs 2>/dev/null | head -n 1)
echo "== broken-mta: scenario $scenario on 127.0.0.1:$port, test CA $ca"

# 2. Syslog: sendmail's STARTTLS and ruleset lines go nowhere else. /dev/log may be a
#    daemon's socket, or systemd's symlink to journald's; a socket nobody listens on is stale.
if [ -L /dev/log ] || { [ -S /dev/log ] && grep -q ' /dev/log$' /proc/net/unix; }; then
  mail_log=${MAIL_LOG:-/var/log/mail.log}
  echo "== syslog: a daemon already owns /dev/log; reading $mail_log (MAIL_LOG=... to change)"
  [ -r "$mail_log" ] || echo "   (no $mail_log here; with journald alone: journalctl -t sendmail)"
elif [ -e /dev/log ] && [ ! -S /dev/log ]; then
  echo "/dev/log is neither a socket nor a symlink; not touching it" >&2
  exit 1
else
  rm -f /dev/log # a stale socket, if any
  mail_log=$work/mail.log
  : >"$mail_log"
  cat >"$work/rsyslog.conf" <<EOF
global(workDirectory="$work")
module(load="imuxsock" SysSock.Use="on" SysSock.Name="/dev/log" SysSock.RateLimit.Interval="0")
mail.* action(type="omfile" file="$mail_log" template="RSYSLOG_FileFormat")
EOF
  rsyslogd -n -f "$work/rsyslog.conf" -i "$work/rsyslogd.pid" &
  syslog_pid=$!
  for _ in $(seq 50); do grep -q ' /dev/log$' /proc/net/unix && break; sleep 0.1; done
  grep -q ' /dev/log$' /proc/net/unix || { echo "rsyslogd did not come up on /dev/log" >&2; exit 1; }
  echo "== syslog: a private rsyslogd on /dev/log, mail.* into $mail_log"
fi
offset=$(stat -c %s "$mail_log" 2>/dev/null || echo 0)

# 3. The access map and the .cf: the smart host is the scenario, the test CA is trusted.
mkdir -m 700 "$work/queue"
if [ -n "$access_src" ]; then cp "$access_src" "$work/access"; else : >"$work/access"; fi
# (makemap warns that /tmp is world-writable; the .cf below says TrustStickyBit.)
makemap hash "$work/access" <"$work/access" 2>"$work/makemap.err" || { cat "$work/makemap.err" >&2; exit 1; }
cat >"$work/sendmail.mc" <<EOF
divert(-1)
# broken-mta: send every message to the scenario on 127.0.0.1:$port, as a smart host.
divert(0)dnl
VERSIONID(\`broken-mta sendmail recipe')dnl
OSTYPE(\`linux')dnl
define(\`confCACERT_PATH', \`$(dirname "$ca")')dnl
define(\`confCACERT', \`$ca')dnl
define(\`SMART_HOST', \`esmtp:[127.0.0.1]')dnl
define(\`ESMTP_MAILER_ARGS', \`TCP \$h $port')dnl
define(\`confLOG_LEVEL', \`20')dnl
define(\`QUEUE_DIR', \`$work/queue')dnl
define(\`confDONT_PROBE_INTERFACES', \`true')dnl
define(\`confDONT_BLAME_SENDMAIL', \`TrustStickyBit')dnl
FEATURE(\`access_db', \`hash -o -T<TMPF> $work/access')dnl
MAILER(\`smtp')dnl
EOF
m4 "$cf_m4" "$work/sendmail.mc" >"$work/sendmail.cf"
if [ -s "$work/access" ]; then
  echo "== access map:"
  sed 's/^/   /' "$work/access"
fi

# 4. One message, delivered in the foreground.
echo "== sendmail -v -Am -C sendmail.cf -ODeliveryMode=i -f $from $to"
printf 'From: %s\nTo: %s\nSubject: broken-mta %s\n\nSent by sendmail to the %s scenario.\n' "$from" "$to" "$scenario" "$scenario" >"$work/message"
set +e
unshare -u sh -c 'hostname client.example.test && exec sendmail -v -Am -C "$1" -ODeliveryMode=i -f "$2" "$3"' \
  sh "$work/sendmail.cf" "$from" "$to" <"$work/message" 2>&1 | tee "$work/transcript"
code=${PIPESTATUS[0]}
set -e
echo "== sendmail exited $code"
if ls "$work/queue" | grep -q '^qf'; then
  echo "== the message is still in sendmail's queue (deferred): a queue run (sendmail -q) would retry it"
fi

# 5. The syslog lines of this run; a marker sent after them proves they have all arrived.
marker="broken-mta-mark-$$-$RANDOM"
logger -u /dev/log -p mail.info -t broken-mta "$marker"
for _ in $(seq 50); do grep -q "$marker" "$mail_log" 2>/dev/null && break; sleep 0.1; done
echo "== syslog (mail.*):"
tail -c +"$((offset + 1))" "$mail_log" 2>/dev/null | grep -v "$marker" || true

# 6. What the server saw.
sleep 0.2
echo "== broken-mta events:"
tail -n +2 "$work/events.jsonl"
exit "$code"
