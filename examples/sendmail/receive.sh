#!/usr/bin/env bash
# Your sendmail configuration as the *receiver* of known-bad senders: builds a private copy
# of your sendmail.mc, runs it as a daemon on a free loopback port, points every broken
# sender of broken-mta at it, and prints a table of what your configuration does (delivered
# over TLS, in plaintext, refused, split), whether that is what a healthy receiver does, and
# the line sendmail logged.
#
#   examples/sendmail/receive.sh path/to/sendmail.mc [SCENARIO ...]
#
# e.g.  examples/sendmail/receive.sh /etc/mail/sendmail.mc
#       examples/sendmail/receive.sh /etc/mail/sendmail.mc sender-starttls-abort sender-smtp-smuggling
#       ACCESS=my-access examples/sendmail/receive.sh /etc/mail/sendmail.mc sender-starttls-abort   # try a fix
#
# The copy keeps everything of yours and changes only what a test run needs, inserted
# before your first MAILER line: LogLevel 20, a private queue, pid file and statistics
# file, DeliveryMode queueonly (what sendmail takes stays in the private queue, which is
# removed: nothing is delivered anywhere), broken-mta's test certificate and CA in place of
# yours (so that STARTTLS is offered and client certificates are asked for, as sendmail does
# whenever it has a CA), no DNS needed for the sender's domain. Your DAEMON_OPTIONS give way
# to one daemon on 127.0.0.1 and a free port. ACCESS=FILE replaces your access map with
# FILE (text, as for makemap).
#
# Needs root (sendmail runs in a UTS namespace of its own, to have a dotted host name
# without touching /etc/hosts) and Debian's sendmail-bin sendmail-cf m4 rsyslog. Leaves no
# daemon behind: the private sendmail and, when no syslog daemon owns /dev/log, a private
# rsyslogd (mail.* into the work folder) stop on exit. The work folder is removed on exit
# unless KEEP=1.
#
# Environment: BROKEN_MTA (how to run broken-mta; default: this checkout's dist/cli.js, else
# npx broken-mta), MAIL_LOG (where your own syslog daemon writes mail.*, when one runs;
# default /var/log/mail.log), ACCESS, FROM, RCPT (a recipient your configuration takes;
# default rcpt@remote.example.test, relayed, since the senders connect from 127.0.0.1),
# KEEP=1.
# Exit status: 0 when every scenario ran (whatever sendmail made of it), 1 on a failure
# of the run itself, 2 on bad input.
set -euo pipefail
export PATH="$PATH:/usr/sbin:/sbin"
root=$(cd "$(dirname "$0")/../.." && pwd)
. "$root/examples/lib/common.sh"
. "$root/examples/lib/receive.sh"

usage() { echo "usage: $0 path/to/sendmail.mc [SCENARIO ...]" >&2; exit 2; }
[ $# -ge 1 ] || usage
mc_src=$1
shift
require_readable "$mc_src"
[ -z "${ACCESS:-}" ] || require_readable "$ACCESS" "the access map"
from=${FROM:-sender@client.example.test}
rcpt=${RCPT:-rcpt@remote.example.test}

BROKEN_MTA=$(broken_mta_command "$root")
sender_scenarios "$@"

require_sendmail_tools

work=$(mktemp -d "${TMPDIR:-/tmp}/broken-mta-receive.XXXXXX")
daemon_pid=
syslog_pid=
cleanup() {
  # The daemon leads a process group of its own (set -m below): its session children go too.
  [ -z "$daemon_pid" ] || { kill -- "-$daemon_pid" 2>/dev/null || true; wait "$daemon_pid" 2>/dev/null || true; }
  stop_private_syslog
  remove_work
}
trap cleanup EXIT

# 1. Syslog: sendmail's STARTTLS=server, collect and greet_pause lines go nowhere else.
private_syslog

# 2. The private copy of the .mc: yours, with the test settings before your first MAILER
#    line (later defines win in m4).
cert=$($BROKEN_MTA certs 2>/dev/null | head -n 1)
certs_dir=$(dirname "$cert")
server_pem=$certs_dir/valid.pem
[ -r "$server_pem" ] || { echo "no test certificate at $server_pem (broken-mta certs)" >&2; exit 1; }
mkdir -m 700 "$work/queue"
overrides="dnl broken-mta: the settings of a receiving test run, inserted by examples/sendmail/receive.sh
define(\`confLOG_LEVEL', \`20')dnl
define(\`QUEUE_DIR', \`$work/queue')dnl
define(\`confPID_FILE', \`$work/sendmail.pid')dnl
define(\`STATUS_FILE', \`$work/statistics')dnl
define(\`confDELIVERY_MODE', \`queueonly')dnl
define(\`confCACERT_PATH', \`$certs_dir')dnl
define(\`confCACERT', \`$cert')dnl
define(\`confSERVER_CERT', \`$server_pem')dnl
define(\`confSERVER_KEY', \`$server_pem')dnl
define(\`confDONT_PROBE_INTERFACES', \`true')dnl
define(\`confDONT_BLAME_SENDMAIL', \`TrustStickyBit')dnl
FEATURE(\`accept_unresolvable_domains')dnl"
compile_mc_copy "$mc_src" "$overrides" "$work/sendmail.cf"

# 3. One daemon, on 127.0.0.1 and a free port, in place of yours.
port=$(free_port)
sed -i '/^O DaemonPortOptions=/d' "$work/sendmail.cf"
printf 'O DaemonPortOptions=Family=inet, Name=MTA-test, Port=%s, Addr=127.0.0.1\n' "$port" >>"$work/sendmail.cf"
set -m
unshare -u sh -c 'hostname mx.receiver.test && exec sendmail -bD -C "$1"' sh "$work/sendmail.cf" >"$work/daemon.out" 2>&1 &
daemon_pid=$!
set +m
for _ in $(seq 150); do
  listening_on "$port" && break
  kill -0 "$daemon_pid" 2>/dev/null || { echo "sendmail -bD exited:" >&2; cat "$work/daemon.out" >&2; daemon_pid=; exit 1; }
  sleep 0.1
done
listening_on "$port" || { echo "sendmail did not listen on 127.0.0.1:$port" >&2; exit 1; }

# 4. Each broken sender in turn; the syslog lines of its run; what is left in the queue.
telling_line() { # $1: syslog lines of the run; what says most about what sendmail did
  local pattern line
  for pattern in 'STARTTLS=server, error: accept failed=-?[0-9]+, reason=[^,]*' 'rejecting commands from .* due to pre-greeting traffic' \
    'collect: (premature EOM: [^,]*|relay=[^,]*, from=[^,]*, info=[^,]*)' '--- [45][0-9]{2} [0-9.]+ [^(]*' 'unauthorized PIPELINING, sleeping'; do
    line=$(grep -oE -- "$pattern" "$1" | head -n 1 || true)
    [ -z "$line" ] || { echo "${line% }"; return; }
  done
  local accepted tls
  accepted=$(grep -oE 'nrcpts=[0-9]+' "$1" | head -n 1 || true)
  [ -z "$accepted" ] || accepted="$accepted, $(grep -oE 'proto=[A-Z]+' "$1" | head -n 1)"
  tls=$(grep -oE 'STARTTLS=server, relay=[^,]*, version=[^,]*, verify=[A-Z]+' "$1" | head -n 1 | sed 's/relay=[^,]*, //' || true)
  line="${accepted:+accepted: $accepted}${accepted:+${tls:+; }}$tls"
  echo "${line:-(nothing telling)}"
}

print_table_head "what sendmail logged"
failures=0
for scenario in "${scenarios[@]}"; do
  dir=$work/$scenario
  mkdir -p "$dir"
  offset=$(stat -c %s "$mail_log" 2>/dev/null || echo 0)
  send_from "$scenario" "$dir"
  sleep 0.3 # sendmail's child writes its last lines as the session ends
  marker="broken-mta-mark-$$-$RANDOM"
  logger -u /dev/log -p mail.info -t broken-mta "$marker"
  for _ in $(seq 50); do grep -q "$marker" "$mail_log" 2>/dev/null && break; sleep 0.1; done
  tail -c +"$((offset + 1))" "$mail_log" 2>/dev/null | grep -v "$marker" >"$dir/syslog" || true
  print_row "$scenario" "$dir" "$dir/syslog" || failures=$((failures + 1))
done
[ "${KEEP:-}" = 1 ] && echo "each scenario's events, syslog lines and exit code: $work/SCENARIO/" >&2
[ "$failures" -eq 0 ] || { echo "$failures scenario(s) could not be run against sendmail; KEEP=1 keeps their output" >&2; exit 1; }
