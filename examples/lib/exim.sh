# What Exim's recipes (examples/exim/run.sh and receive.sh) share: finding Exim and your
# configuration as one file. Sourced after lib/common.sh; it defines functions and nothing
# else. The callers set root and work.

# Exim's commands, in a mount and UTS namespace of their own (test/mta/run.sh).
in_ns() { "$root/test/mta/run.sh" exim "$@"; }

# The Exim installed here, else Debian's packages unpacked by test/mta/fetch.sh (Debian's
# exim4 conflicts with sendmail-bin).
find_exim() {
  if [ -x /usr/sbin/exim4 ]; then export BROKEN_MTA_MTA_ROOT=/; else "$root/test/mta/fetch.sh" exim || exit 1; fi
}

# Your configuration as one file, $work/yours.conf: a copy of it, or, from Debian's split
# form (a folder as /etc/exim4), what update-exim4.conf makes of a copy of the folder.
# Exits 1 when update-exim4.conf fails.
copy_exim_conf() { # $1: exim4.conf, or the folder
  if [ -d "$1" ]; then
    cp -r "$1" "$work/exim4"
    in_ns update-exim4.conf -d "$work/exim4" -o "$work/yours.conf" 2>"$work/update-exim4.conf.err" ||
      { echo "update-exim4.conf failed on a copy of $1:" >&2; cat "$work/update-exim4.conf.err" >&2; exit 1; }
  else
    cp "$1" "$work/yours.conf"
  fi
}
