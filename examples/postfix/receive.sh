#!/usr/bin/env bash
# Your Postfix configuration as the *receiver* of known-bad senders: makes a private copy of
# your main.cf (and the master.cf beside it), runs its smtpd on a free loopback port, points
# every broken sender of broken-mta at it, and prints a table of what your configuration
# does (delivered over TLS, in plaintext, refused, split), whether that is what a healthy
# receiver does, and the line Postfix logged.
#
#   examples/postfix/receive.sh path/to/main.cf [SCENARIO ...]
#
# e.g.  examples/postfix/receive.sh /etc/postfix/main.cf
#       examples/postfix/receive.sh /etc/postfix/main.cf sender-smtp-smuggling sender-starttls-abort
#       SETTINGS=my-fix.cf examples/postfix/receive.sh /etc/postfix/main.cf sender-smtp-smuggling   # try a fix
#
# The copy keeps everything of yours and changes only what a test run needs (postconf -e
# after your settings): a private queue, data directory and log file (maillog_file: no
# syslog needed); broken-mta's test certificate as smtpd's (your smtpd_tls_security_level
# decides whether STARTTLS is offered); defer_transports for every transport, so that what
# smtpd takes stays in the private queue and nothing is delivered anywhere; no
# content_filter, no aliases. In master.cf, your inet services give way to one smtpd on
# 127.0.0.1 and a free port, without chroot. SETTINGS=FILE applies FILE's "name = value"
# lines last (smtpd_forbid_bare_newline = yes ...).
#
# Needs root. Uses the Postfix installed here (/usr/sbin/postfix), or, when there is none
# (Debian's postfix conflicts with sendmail-bin), Debian's package unpacked by
# test/mta/fetch.sh; either runs through test/mta/run.sh (a mount and UTS namespace of its
# own). One master daemon runs in the foreground for the length of the run and is stopped
# at the end; the work folder (your copy, the queue, the log) is removed unless KEEP=1.
#
# Environment: BROKEN_MTA (how to run broken-mta; default: this checkout's dist/cli.js, else
# npx broken-mta), SETTINGS, FROM, RCPT (a recipient your configuration takes from
# 127.0.0.1; default rcpt@remote.example.test, relayed for $mynetworks), KEEP=1.
# Exit status: 0 when every scenario ran (whatever Postfix made of it), 1 on a failure of
# the run itself, 2 on bad input.
set -euo pipefail
export PATH="$PATH:/usr/sbin:/sbin"
root=$(cd "$(dirname "$0")/../.." && pwd)
. "$root/examples/lib/common.sh"
. "$root/examples/lib/receive.sh"
. "$root/examples/lib/postfix.sh"

usage() { echo "usage: $0 path/to/main.cf [SCENARIO ...]" >&2; exit 2; }
[ $# -ge 1 ] || usage
main_cf=$1
shift
check_postfix_input "$main_cf"
from=${FROM:-sender@client.example.test}
rcpt=${RCPT:-rcpt@remote.example.test}

BROKEN_MTA=$(broken_mta_command "$root")
sender_scenarios "$@"
find_postfix

work=$(mktemp -d "${TMPDIR:-/tmp}/broken-mta-postfix-receive.XXXXXX")
chmod 755 "$work" # Postfix's daemons (user postfix) work below it
conf=$work/conf
master_pid=
cleanup() {
  stop_postfix_master
  remove_work
}
trap cleanup EXIT

# 1. The private copy: your main.cf and master.cf, then the test run's settings. smtpd
#    reads the key as root, before it drops privileges: the certificate cache stays as it is.
cert=$($BROKEN_MTA certs 2>/dev/null | head -n 1)
server_pem=$(dirname "$cert")/valid.pem
[ -r "$server_pem" ] || { echo "no test certificate at $server_pem (broken-mta certs)" >&2; exit 1; }
copy_postfix_conf "$main_cf"
port=$(free_port)
settings=("queue_directory=$work/queue" "data_directory=$work/data" "maillog_file=$work/maillog"
  "maillog_file_prefixes=$work" "smtpd_tls_cert_file=$server_pem" "smtpd_tls_key_file=$server_pem"
  "smtpd_tls_chain_files=" "smtpd_tls_CAfile=$cert" "smtpd_tls_loglevel=1" "inet_interfaces=loopback-only"
  "defer_transports=relay smtp local virtual lmtp" "content_filter=" "alias_maps=" "alias_database=")
add_settings_file
in_ns postconf -c "$conf" -e "${settings[@]}"
smtpd=$(in_ns postconf -c "$conf" -M smtp/inet)
[ -n "$smtpd" ] || smtpd="smtp inet n - y - - smtpd"
for service in $(in_ns postconf -c "$conf" -M | awk '$2 == "inet" { print $1 "/inet" }'); do
  in_ns postconf -c "$conf" -M# "$service"
done
in_ns postconf -c "$conf" -Me "127.0.0.1:$port/inet=127.0.0.1:$port ${smtpd#smtp }"
in_ns postconf -c "$conf" -F '*/*/chroot = n'

# 2. The master daemon, in the foreground of a background job of ours.
start_postfix_master
wait_for_postfix_master listening_on "$port"
listening_on "$port" || { echo "Postfix did not listen on 127.0.0.1:$port in 30 s" >&2; exit 1; }

# 3. Each broken sender in turn; the log lines of its run.
telling_line() { # $1: the run's log lines, $2: the outcome; what says most about what Postfix did
  local pattern line accepted tls
  # The queue manager's line for each message taken: its sender, and how many recipients.
  accepted=$(grep -oE 'from=<[^>]*>, size=[0-9]+, nrcpt=[0-9]+' "$1" | sed -E 's/, size=[0-9]+//' || true)
  if [[ "$2" == SPLIT* ]]; then echo "accepted: $(paste -sd ';' <<<"$accepted" | sed 's/;/; /g')"; return; fi
  for pattern in 'warning: TLS library problem: .*' 'SSL_accept error from .*: lost connection' \
    'improper command pipelining after [A-Z]+ from [^:]*' 'reject: .*' 'lost connection after [A-Z]+( \([0-9]+ bytes\))? from .*' \
    'timeout after .*'; do
    line=$(sed -E 's/^.*postfix\/[a-z]+\[[0-9]+\]: ([0-9A-F]+: )?//' "$1" | grep -oE -- "^$pattern" | head -n 1 || true)
    [ -z "$line" ] || { echo "$line" | sed -E 's/:\.\.\/[^:]+:[0-9]+:/:/; s/:$//'; return; }
  done
  accepted=$(grep -oE 'nrcpt=[0-9]+' <<<"$accepted" | head -n 1 || true)
  tls=$(grep -oE 'TLS connection established from [^:]*: [^ ]+ with cipher [^ ]+' "$1" | head -n 1 | sed 's/^.*: //' || true)
  line="${accepted:+accepted: $accepted}${accepted:+${tls:+; }}$tls"
  echo "${line:-(nothing telling)}"
}

print_table_head "what Postfix logged"
failures=0
for scenario in "${scenarios[@]}"; do
  dir=$work/$scenario
  mkdir -p "$dir"
  offset=$(wc -l <"$work/maillog")
  send_from "$scenario" "$dir"
  # smtpd logs "disconnect from" as each session ends; the queue manager's lines follow.
  sessions=$(grep -c '"type":"connect"' "$dir/events.jsonl" || true)
  for _ in $(seq 50); do
    [ "$(tail -n +"$((offset + 1))" "$work/maillog" | grep -c 'postfix/smtpd\[[0-9]*\]: disconnect from ' || true)" -ge "$sessions" ] && break
    sleep 0.1
  done
  sleep 0.3
  tail -n +"$((offset + 1))" "$work/maillog" >"$dir/maillog"
  print_row "$scenario" "$dir" "$dir/maillog" || failures=$((failures + 1))
done
[ "${KEEP:-}" = 1 ] && echo "each scenario's events, log lines and exit code: $work/SCENARIO/; Postfix's whole log: $work/maillog" >&2
[ "$failures" -eq 0 ] || { echo "$failures scenario(s) could not be run against Postfix; KEEP=1 keeps their output" >&2; exit 1; }
