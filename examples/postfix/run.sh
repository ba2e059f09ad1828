#!/usr/bin/env bash
# Your Postfix configuration against every known-bad peer: makes a private copy of your
# main.cf (and the master.cf beside it) pointed at broken-mta, sends one message to each
# scenario with the real Postfix, and prints a table of what your configuration does
# (delivered over TLS, delivered in plaintext, deferred, bounced) with the line Postfix logged.
#
#   examples/postfix/run.sh path/to/main.cf [SCENARIO ...]
#   examples/postfix/run.sh --to HOST:PORT path/to/main.cf
#
# e.g.  examples/postfix/run.sh /etc/postfix/main.cf
#       examples/postfix/run.sh /etc/postfix/main.cf weak-dh handshake-abort
#       POLICY=none examples/postfix/run.sh /etc/postfix/main.cf weak-dh      # try a fix
#
# The copy keeps everything of yours and changes only what a test run needs (postconf -e
# after your settings): each scenario is a domain of its own, SCENARIO.broken-mta.test,
# routed to it by transport_maps ([127.0.0.1]:PORT); broken-mta's test CA in place of
# yours as smtp_tls_CAfile (so Trusted/Verified speak of the scenario's certificate);
# smtp_tls_loglevel 1 at least; a private queue, data directory and log file
# (maillog_file: no syslog needed); no content_filter, no aliases, no listener; in
# master.cf, no smtpd on port 25 and no chroot. POLICY=LEVEL adds an smtp_tls_policy_maps
# entry "[127.0.0.1]:PORT LEVEL" for every scenario (none, may, encrypt, verify
# match=mx.broken-mta.test, ...); SETTINGS=FILE applies FILE's "name = value" lines last.
#
# Needs root. Uses the Postfix installed here (/usr/sbin/postfix), or, when there is none
# (Debian's postfix conflicts with sendmail-bin), Debian's package unpacked by
# test/mta/fetch.sh; either runs through test/mta/run.sh (a mount and UTS namespace of its
# own). One master daemon runs in the foreground for the length of the run and is stopped
# at the end; the work folder (your copy, the queue, the log) is removed unless KEEP=1.
#
# With --to, one message goes to the server at HOST:PORT (a scenario you serve) and the
# lines Postfix logged about it are printed, nothing else: what `broken-mta matrix --client
# postfix` reads (README, "Postfix against a scenario").
#
# Environment: BROKEN_MTA (how to run broken-mta; default: this checkout's dist/cli.js, else
# npx broken-mta), POLICY, SETTINGS, FROM, KEEP=1.
# Exit status: 0 when every scenario ran (whatever Postfix made of it), 1 on a failure of
# the run itself, 2 on bad input.
set -euo pipefail
export PATH="$PATH:/usr/sbin:/sbin"
root=$(cd "$(dirname "$0")/../.." && pwd)
. "$root/examples/lib/common.sh"
. "$root/examples/lib/postfix.sh"

usage() { echo "usage: $0 [--to HOST:PORT] path/to/main.cf [SCENARIO ...]" >&2; exit 2; }
to_option "$@"
shift "$to_args"
[ $# -ge 1 ] || usage
main_cf=$1
shift
check_postfix_input "$main_cf"
from=${FROM:-sender@client.example.test}

BROKEN_MTA=$(broken_mta_command "$root")
named_or_default_scenarios "$@"
find_postfix

work=$(mktemp -d "${TMPDIR:-/tmp}/broken-mta-postfix.XXXXXX")
chmod 755 "$work" # Postfix's daemons (user postfix) work below it
conf=$work/conf
mta_pid=
master_pid=
cleanup() {
  stop_postfix_master
  stop_job "$mta_pid"
  remove_work
}
trap cleanup EXIT

# 1. Every scenario at once, each on a free port; the port map is written to a file. (With
#    --to, the one server given: its domain is mx.broken-mta.test.)
if [ -n "$to" ]; then
  scenarios=(mx)
  printf '{"ports":{"mx":%s}}\n' "${to##*:}" >"$work/ports.json"
  relay=${to%:*}
else
list=$(IFS=,; echo "${scenarios[*]}")
relay=127.0.0.1
serve_scenarios "$list"
fi
domain_of() { if [ -n "$to" ]; then echo mx.broken-mta.test; else echo "$1.broken-mta.test"; fi; }
ca=$($BROKEN_MTA certs 2>/dev/null | head -n 1)

# 2. The private copy: your main.cf and master.cf, then the test run's settings.
copy_postfix_conf "$main_cf"
: >"$conf/transport"
: >"$conf/tls_policy"
for scenario in "${scenarios[@]}"; do
  port=$(port_of "$scenario")
  [ -n "$port" ] || { echo "no port for $scenario in $(cat "$work/ports.json")" >&2; exit 1; }
  printf '%s smtp:[%s]:%s\n' "$(domain_of "$scenario")" "$relay" "$port" >>"$conf/transport"
  [ -z "${POLICY:-}" ] || printf '[%s]:%s %s\n' "$relay" "$port" "$POLICY" >>"$conf/tls_policy"
done
in_ns postmap "hash:$conf/transport" "hash:$conf/tls_policy"
loglevel=$(in_ns postconf -c "$conf" -h smtp_tls_loglevel)
settings=("queue_directory=$work/queue" "data_directory=$work/data" "maillog_file=$work/maillog"
  "maillog_file_prefixes=$work" "transport_maps=hash:$conf/transport" "smtp_tls_CAfile=$ca" "smtp_tls_CApath="
  "smtp_tls_loglevel=$((loglevel > 0 ? loglevel : 1))" "inet_interfaces=loopback-only" "content_filter="
  "alias_maps=" "alias_database=")
[ -z "${POLICY:-}" ] || settings+=("smtp_tls_policy_maps=hash:$conf/tls_policy")
add_settings_file
in_ns postconf -c "$conf" -e "${settings[@]}"
in_ns postconf -c "$conf" -M# smtp/inet
in_ns postconf -c "$conf" -F '*/*/chroot = n'

# 3. The master daemon, in the foreground of a background job of ours.
start_postfix_master
master_started() { grep -q 'postfix/master\[[0-9]*\]: daemon started' "$work/maillog" 2>/dev/null; }
wait_for_postfix_master master_started
grep -q 'daemon started' "$work/maillog" || { echo "the Postfix master did not start in 30 s" >&2; exit 1; }

# 4. One message to each scenario, one at a time; its lines are those with its queue id and
#    those its smtp process wrote before the status (SSL_connect errors carry no queue id).
key_line() { # $1: the run's log lines; prints "outcome<TAB>key line"
  awk -v rcpt="$2" '
    index($0, "to=<" rcpt ">") && / status=/ && !status { status = $0; match($0, /postfix\/smtp\[[0-9]+\]/); smtp = substr($0, RSTART, RLENGTH) }
    { lines[NR] = $0 }
    END {
      if (!status) { print "unknown\tno status= line for " rcpt; exit }
      for (i = 1; i <= NR; i++) {
        line = lines[i]
        if (line == status) break
        if (!index(line, smtp)) continue
        sub(/^.*postfix\/smtp\[[0-9]+\]: ([0-9A-F]+: )?/, "", line)
        if (line ~ /^warning: TLS library problem: /) problem = line
        else if (line ~ /^server certificate verification failed for / && !verification) verification = line
        else if (line ~ /^SSL_connect error to / && !connect) connect = line
        else if (line ~ / TLS connection established to / && !established) { established = line; sub(/ \(.*/, "", established) }
      }
      if (!problem) problem = verification ? verification : connect
      sub(/:\.\.\/[^:]+:[0-9]+:/, ":", problem); sub(/:$/, "", problem)
      st = status; sub(/^.*status=/, "status=", st)
      if (st ~ /^status=deferred/) outcome = "deferred"
      else if (st ~ /^status=bounced/) outcome = "bounced"
      else if (established) outcome = "delivered over TLS"
      else outcome = "delivered in plaintext"
      key = problem ? problem : (outcome ~ /^delivered/ && established ? established : st)
      print outcome "\t" key
    }' "$1"
}

deliver() { # $1 scenario: one message to it, its log lines into $work/$1.log
  local scenario=$1 rcpt offset waited
  rcpt="rcpt@$(domain_of "$scenario")"
  offset=$(wc -l <"$work/maillog")
  printf 'From: %s\nTo: %s\nSubject: broken-mta %s\n\nSent by Postfix to the %s scenario.\n' "$from" "$rcpt" "$scenario" "$scenario" |
    in_ns sendmail -C "$conf" -f "$from" "$rcpt"
  waited=0
  until tail -n +"$((offset + 1))" "$work/maillog" | grep -q "to=<$rcpt>, .* status="; do
    sleep 0.1
    waited=$((waited + 1))
    [ $((waited % 100)) -ne 0 ] || echo "  ($scenario: still waiting for Postfix after $((waited / 10)) s)" >&2
    [ "$waited" -lt 6000 ] || { echo "no delivery attempt to $scenario in 600 s" >&2; exit 1; }
  done
  tail -n +"$((offset + 1))" "$work/maillog" >"$work/$scenario.log"
}

if [ -n "$to" ]; then
  deliver mx
  cat "$work/mx.log"
  exit 0
fi

printf '%-26s %-23s %s\n' scenario outcome "what Postfix logged"
failures=0
for scenario in "${scenarios[@]}"; do
  deliver "$scenario"
  IFS=$'\t' read -r outcome line < <(key_line "$work/$scenario.log" "rcpt@$(domain_of "$scenario")")
  [ "$outcome" != unknown ] || failures=$((failures + 1))
  printf '%-26s %-23s %s\n' "$scenario" "$outcome" "$line"
done
[ "${KEEP:-}" = 1 ] && echo "each scenario's log lines: $work/SCENARIO.log; Postfix's whole log: $work/maillog" >&2
[ "$failures" -eq 0 ] || { echo "$failures scenario(s) gave no outcome Postfix logged; KEEP=1 keeps the logs" >&2; exit 1; }
