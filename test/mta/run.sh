#!/usr/bin/env bash
# Runs a command of an MTA that test/mta/fetch.sh unpacked, as if its package were installed:
# in a mount namespace of its own, the unpacked tree is laid over /usr (a read-only
# overlayfs), so the binaries find their libraries, helpers and themselves at the paths they
# were built with (/usr/lib/postfix, /usr/sbin/exim4), set-gid and set-uid bits included;
# and in a UTS namespace of its own, the host name is client.example.test. Nothing outside
# the namespaces sees either: the machine's own /usr/sbin/sendmail stays sendmail-bin's.
#
#   test/mta/run.sh postfix|exim COMMAND [ARG...]
#   e.g.  test/mta/run.sh postfix postconf -d mail_version
#
# The command's processes (a Postfix master and its children, say) keep the namespaces
# alive until the last of them exits; files they write outside /usr (a queue, a log) are
# ordinary files. Needs root. Exit status: the command's; 2 on bad input.
set -euo pipefail

repo=$(cd "$(dirname "$0")/../.." && pwd)
cache=${BROKEN_MTA_MTA_CACHE:-$repo/.mta}
usage() { echo "usage: $0 postfix|exim COMMAND [ARG...]" >&2; exit 2; }
[ $# -ge 2 ] || usage
mta=$1
shift
case $mta in postfix | exim) ;; *) usage ;; esac
root=$cache/$mta/root
[ -d "$root/usr" ] || { echo "$0: no $mta in $cache: run test/mta/fetch.sh $mta first" >&2; exit 2; }

# unshare makes the new mount namespace's mounts private: the overlay never reaches the host.
exec unshare --mount --uts -- /bin/sh -c '
  mount -t overlay "broken-mta-$0" -o "lowerdir=$1/usr:/usr" /usr || exit 1
  hostname client.example.test || exit 1
  shift
  PATH=/usr/sbin:/usr/bin:/sbin:/bin
  export PATH
  exec "$@"' "$mta" "$root" "$@"
