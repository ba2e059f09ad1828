#!/usr/bin/env bash
# Runs a command of Postfix or Exim as if its Debian package were installed, beside
# sendmail-bin: in a mount namespace of its own, the tree test/mta/fetch.sh unpacked is laid
# over /usr and /etc (read-only overlayfs mounts), so the binaries find their libraries,
# helpers, files and themselves at the paths they were built with (/usr/lib/postfix,
# /usr/sbin/exim4, /etc/postfix/postfix-files, /etc/email-addresses), set-gid and set-uid
# bits included. In the same namespaces, the host name is client.example.test and
# /etc/hosts is test/mta/hosts, which names the server mx.broken-mta.test (127.0.0.2).
# Nothing outside the namespaces sees any of it: the machine's own /usr/sbin/sendmail stays
# sendmail-bin's, its /etc/hosts stays its own.
#
#   test/mta/run.sh postfix|exim COMMAND [ARG...]
#   e.g.  test/mta/run.sh postfix postconf -d mail_version
#
# BROKEN_MTA_RESOLV_CONF=FILE lays FILE over /etc/resolv.conf the same way, for the DANE
# suite: the MTA asks the test zones' resolver (src/dns/), the machine's resolver is untouched.
#
# BROKEN_MTA_MTA_ROOT=/ runs the MTA installed on the machine instead (the host name and
# /etc/hosts as above). The command's processes (a Postfix master and its children, say)
# keep the namespaces alive until the last of them exits; what they write outside /usr and
# /etc (a queue, a log) is written as usual. Needs root. Exit status: the command's; 2 on
# bad input.
set -euo pipefail

repo=$(cd "$(dirname "$0")/../.." && pwd)
cache=${BROKEN_MTA_MTA_CACHE:-$repo/.mta}
usage() { echo "usage: $0 postfix|exim COMMAND [ARG...]" >&2; exit 2; }
[ $# -ge 2 ] || usage
mta=$1
shift
case $mta in postfix | exim) ;; *) usage ;; esac
root=${BROKEN_MTA_MTA_ROOT:-$cache/$mta/root}
[ "$root" = / ] || [ -d "$root/usr" ] || { echo "$0: no $mta in $cache: run test/mta/fetch.sh $mta first" >&2; exit 2; }

# unshare makes the new mount namespace's mounts private: none of them reaches the host.
exec unshare --mount --uts -- /bin/sh -c '
  if [ "$1" != / ]; then
    for dir in usr etc; do
      mount -t overlay "broken-mta-$0" -o "lowerdir=$1/$dir:/$dir" "/$dir" || exit 1
    done
  fi
  mount --bind "$2" /etc/hosts || exit 1
  if [ -n "$3" ]; then mount --bind "$3" /etc/resolv.conf || exit 1; fi
  hostname client.example.test || exit 1
  shift 3
  PATH=/usr/sbin:/usr/bin:/sbin:/bin
  export PATH
  exec "$@"' "$mta" "$root" "$repo/test/mta/hosts" "${BROKEN_MTA_RESOLV_CONF:-}" "$@"
