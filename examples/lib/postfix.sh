# What Postfix's recipes (examples/postfix/run.sh and receive.sh) share: finding Postfix,
# the private copy of your configuration, and the master daemon of a run. Sourced after
# lib/common.sh; it defines functions and nothing else. The callers set root, work and conf
# (the copy's folder, below work).

# Postfix's commands, in a mount and UTS namespace of their own (test/mta/run.sh).
in_ns() { "$root/test/mta/run.sh" postfix "$@"; }

# What both recipes check before anything else: your main.cf, $SETTINGS when it is set,
# and root (Postfix's daemons change users). Exits 2 on a failure.
check_postfix_input() { # $1: your main.cf
  require_readable "$1"
  [ -z "${SETTINGS:-}" ] || require_readable "$SETTINGS" "the settings file"
  require_root "Postfix's daemons change users; the namespace needs it too"
}

# The Postfix installed here, else Debian's package unpacked by test/mta/fetch.sh (cached in
# .mta/; Debian's postfix conflicts with sendmail-bin). Sets queue_skeleton (the unpacked
# package's queue folder; empty for the installed one) and master_dist (the stock master.cf).
find_postfix() {
  local cache
  if [ -x /usr/sbin/postfix ] && [ -x /usr/lib/postfix/sbin/master ]; then
    export BROKEN_MTA_MTA_ROOT=/
    queue_skeleton=
    master_dist=/usr/share/postfix/master.cf.dist
  else
    "$root/test/mta/fetch.sh" postfix || exit 1
    cache=${BROKEN_MTA_MTA_CACHE:-$root/.mta}
    queue_skeleton=$cache/postfix/queue
    master_dist=$cache/postfix/root/usr/share/postfix/master.cf.dist
  fi
}

# The private copy: your main.cf and the master.cf beside it (else the stock one) in $conf,
# and a data directory and queue of the run's own in $work.
copy_postfix_conf() { # $1: your main.cf
  mkdir -p "$conf" "$work/data"
  chown postfix "$work/data"
  cp "$1" "$conf/main.cf"
  if [ -r "$(dirname "$1")/master.cf" ]; then cp "$(dirname "$1")/master.cf" "$conf/master.cf"; else cp "$master_dist" "$conf/master.cf"; fi
  if [ -n "$queue_skeleton" ]; then cp -a "$queue_skeleton" "$work/queue"; else mkdir "$work/queue"; fi
}

# Adds the "name = value" lines of $SETTINGS, when it is set, to the array settings, in the
# form postconf -e takes (name=value); comments and blank lines are dropped.
add_settings_file() {
  local line
  [ -n "${SETTINGS:-}" ] || return 0
  while IFS= read -r line; do
    line=$(echo "$line" | sed -e 's/#.*//' -e 's/^[[:space:]]*//' -e 's/[[:space:]]*=[[:space:]]*/=/')
    [ -z "$line" ] || settings+=("$line")
  done <"$SETTINGS"
}

# The master daemon, in the foreground of a background job of ours; sets master_pid.
start_postfix_master() {
  in_ns postfix -c "$conf" start-fg >"$work/master.out" 2>&1 &
  master_pid=$!
}

# Tries the command given every 0.1 s for up to 30 s, until it succeeds; exits 1, with what
# the master printed and logged, when the master ends first.
wait_for_postfix_master() { # $@: the test of the master being ready
  for _ in $(seq 300); do
    "$@" && return 0
    kill -0 "$master_pid" 2>/dev/null || { echo "postfix start-fg failed:" >&2; cat "$work/master.out" "$work/maillog" >&2 2>/dev/null; master_pid=; exit 1; }
    sleep 0.1
  done
}

# Stops our master daemon, if it runs (postfix stop, else a signal), and waits for it.
stop_postfix_master() {
  [ -n "${master_pid:-}" ] || return 0
  in_ns postfix -c "$conf" stop >/dev/null 2>&1 || kill "$master_pid" 2>/dev/null || true
  wait "$master_pid" 2>/dev/null || true
}
