# What the MTA recipes in examples/ share: checking their input, how to run broken-mta,
# the scenarios to try, serving scenarios on free ports, sendmail's tools, private .mc
# copy and syslog, and stopping what they started. Sourced by examples/*/run.sh and
# receive.sh (with lib/receive.sh, lib/postfix.sh or lib/exim.sh beside it where they
# share more); it defines functions and nothing else. The callers set `work` (their
# private folder) and `set -euo pipefail` first.

# Exits 2, saying so, unless file $1 can be read.
require_readable() { # $1: the file; $2: what it is, when the message names it
  [ -r "$1" ] || { echo "cannot read ${2:+$2 }$1" >&2; exit 2; }
}

# Exits 2 unless this runs as root, saying why the recipe needs it.
require_root() { # $1: why
  [ "$(id -u)" = 0 ] || { echo "$0 needs root ($1)" >&2; exit 2; }
}

# How to run broken-mta: $BROKEN_MTA when set, else this checkout's build, else npx.
broken_mta_command() { # $1: the checkout's root
  if [ -n "${BROKEN_MTA:-}" ]; then echo "$BROKEN_MTA"
  elif [ -f "$1/dist/cli.js" ]; then echo "node $1/dist/cli.js"
  else echo "npx broken-mta"; fi
}

# Every scenario of a comma-separated list at once, each on a free port of $2 (default
# 127.0.0.1); the port map in $work/ports.json, the events in $work/events.jsonl. Sets
# mta_pid; exits 2 when broken-mta refuses the list, 1 when it does not start in 15 s.
serve_scenarios() { # $1: scenarios, comma-separated; $2: the address
  $BROKEN_MTA --host "${2:-127.0.0.1}" serve --scenarios "$1" --base-port 0 --ports-file "$work/ports.json" --json >"$work/events.jsonl" 2>"$work/broken-mta.err" &
  mta_pid=$!
  for _ in $(seq 150); do
    [ -s "$work/ports.json" ] && return 0
    kill -0 "$mta_pid" 2>/dev/null || { cat "$work/broken-mta.err" >&2; mta_pid=; exit 2; }
    sleep 0.1
  done
  echo "broken-mta did not start:" >&2
  cat "$work/broken-mta.err" >&2
  exit 1
}

# The --to HOST:PORT that may come first in run.sh's arguments. Sets to (empty without it)
# and to_args, how many arguments it took (0 or 2) for the caller to shift; calls the
# caller's usage when HOST:PORT is malformed or nothing follows it.
to_option() { # $@: the recipe's arguments
  to=
  to_args=0
  [ "${1:-}" = --to ] || return 0
  [ $# -ge 3 ] && [[ "$2" =~ ^[^:]+:[0-9]+$ ]] || usage
  to=$2
  to_args=2
}

# The scenarios named, else the sending recipes' (run.sh) default: one of each kind of
# fault a sending MTA meets. Sets the array scenarios.
named_or_default_scenarios() { # $@: the scenarios named on the command line
  scenarios=("$@")
  [ ${#scenarios[@]} -eq 0 ] || return 0
  scenarios=(good expired-cert self-signed untrusted-root incomplete-chain wrong-host
    handshake-abort abort-alert abort-reset abort-garbage abort-midway weak-dh dh1024 ssl3-only
    tls10-only no-secure-renegotiation bad-ske-signature starttls-454 groupwise-450 greylist)
}

port_of() { sed -n "s/.*\"$1\":\([0-9]*\).*/\1/p" "$work/ports.json"; }

# Stops a background job of ours, if there is one, and waits for it.
stop_job() { # $1: its pid, or nothing
  [ -z "$1" ] || { kill "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; }
}

# The Debian packages sendmail's recipes need, or exit 2 saying which are missing. Sets
# cf_m4, the m4 file a .mc is compiled with.
require_sendmail_tools() {
  local missing=() tool
  cf_m4=/usr/share/sendmail/cf/m4/cf.m4
  for tool in sendmail:sendmail-bin makemap:sendmail-bin m4:m4 rsyslogd:rsyslog logger:bsdutils unshare:util-linux; do
    command -v "${tool%%:*}" >/dev/null || missing+=("${tool%%:*} (package ${tool#*:})")
  done
  [ -f "$cf_m4" ] || missing+=("$cf_m4 (package sendmail-cf)")
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "missing: ${missing[*]}" >&2
  echo "install: apt-get install sendmail-bin sendmail-cf m4 rsyslog" >&2
  exit 2
}

# The private copy of your .mc, compiled into $3: the run's settings ($2, m4 lines) before
# your first MAILER line (later defines win in m4; with none, at the end, and MAILER(smtp)),
# and with ACCESS=FILE, FILE as the access map in place of yours. Exits 1 when makemap or
# m4 fails. Needs cf_m4 (require_sendmail_tools).
compile_mc_copy() { # $1: your .mc, $2: the run's settings, $3: the .cf to write
  local overrides=$2
  if [ -n "${ACCESS:-}" ]; then
    cp "$ACCESS" "$work/access"
    # (makemap warns that /tmp is world-writable; the .cf says TrustStickyBit.)
    makemap hash "$work/access" <"$work/access" 2>"$work/makemap.err" || { cat "$work/makemap.err" >&2; exit 1; }
    overrides="$overrides
FEATURE(\`access_db', \`hash -o -T<TMPF> $work/access')dnl"
  fi
  printf '%s\n' "$overrides" >"$work/overrides.m4"
  awk -v file="$work/overrides.m4" '
    !done && /^[[:space:]]*MAILER(_DEFINITIONS|\()/ { while ((getline line < file) > 0) print line; done = 1 }
    { print }
    END { if (!done) { while ((getline line < file) > 0) print line; print "MAILER(`smtp'"'"')dnl" } }
  ' "$1" >"$work/sendmail.mc"
  m4 "$cf_m4" "$work/sendmail.mc" >"$3" 2>"$work/m4.err" || { echo "m4 could not compile the copy of $1:" >&2; cat "$work/m4.err" >&2; exit 1; }
}

# Syslog, where sendmail writes its STARTTLS and ruleset lines and nowhere else. /dev/log
# may be a daemon's socket, or systemd's symlink to journald's: then the mail log is read
# ($MAIL_LOG, default /var/log/mail.log). Else a private rsyslogd takes /dev/log for the
# run (a socket nobody listens on is stale) and writes mail.* to $work/mail.log. Sets
# mail_log and syslog_pid; stop_private_syslog undoes it.
private_syslog() {
  syslog_pid=
  if [ -L /dev/log ] || { [ -S /dev/log ] && grep -q ' /dev/log$' /proc/net/unix; }; then
    mail_log=${MAIL_LOG:-/var/log/mail.log}
    echo "syslog: a daemon already owns /dev/log; reading $mail_log (MAIL_LOG=... to change)" >&2
    [ -r "$mail_log" ] || echo "  (no $mail_log here; with journald alone: journalctl -t sendmail)" >&2
    return 0
  fi
  [ ! -e /dev/log ] || [ -S /dev/log ] || { echo "/dev/log is neither a socket nor a symlink; not touching it" >&2; exit 1; }
  rm -f /dev/log # a stale socket, if any
  mail_log=$work/mail.log
  : >"$mail_log"
  cat >"$work/rsyslog.conf" <<CONF
global(workDirectory="$work")
module(load="imuxsock" SysSock.Use="on" SysSock.Name="/dev/log" SysSock.RateLimit.Interval="0")
mail.* action(type="omfile" file="$mail_log" template="RSYSLOG_FileFormat")
CONF
  rsyslogd -n -f "$work/rsyslog.conf" -i "$work/rsyslogd.pid" &
  syslog_pid=$!
  for _ in $(seq 50); do grep -q ' /dev/log$' /proc/net/unix && return 0; sleep 0.1; done
  echo "rsyslogd did not come up on /dev/log" >&2
  exit 1
}

stop_private_syslog() {
  [ -n "${syslog_pid:-}" ] || return 0
  stop_job "$syslog_pid"
  grep -q ' /dev/log$' /proc/net/unix || rm -f /dev/log
}

# The work folder goes, unless KEEP=1.
remove_work() {
  if [ "${KEEP:-}" = 1 ]; then echo "kept: $work" >&2; else rm -rf "$work"; fi
}
