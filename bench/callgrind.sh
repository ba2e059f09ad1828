#!/usr/bin/env bash
# Instructions per plaintext message on the server's main thread, counted by callgrind:
# repeatable where CPU time on a shared machine is not. Needs valgrind (Debian: valgrind)
# and Postfix's smtp-source in bench/.postfix/ (`node bench/run.mjs throughput` fetches it).
#
#   bench/callgrind.sh [DIST] [MESSAGES]     (DIST: a built dist/ folder, default dist)
#
# The server runs under callgrind; smtp-source sends MESSAGES (2000) to warm it up, the
# counters are zeroed, it sends MESSAGES more, and the counters are dumped. Slow: about
# ten minutes on the standard machine.
set -euo pipefail
cd "$(dirname "$0")/.."
dist=${1:-dist}
messages=${2:-2000}
out=$(mktemp -d "${TMPDIR:-/tmp}/broken-mta-callgrind-XXXXXX")
trap 'rm -rf "$out"' EXIT
export LD_LIBRARY_PATH=bench/.postfix/root/usr/lib/postfix MAIL_CONFIG=bench/.postfix/conf
source=bench/.postfix/root/usr/sbin/smtp-source
valgrind --tool=callgrind --separate-threads=yes --smc-check=all-non-file --callgrind-out-file="$out/callgrind.%p" \
  node "$dist/cli.js" --scenario bench/plaintext.yaml --port 0 --max-connections-per-client 1000 2>/dev/null \
  > >(head -1 > "$out/listening"; cat > /dev/null) &
server=$!
for _ in $(seq 600); do grep -q listening "$out/listening" 2>/dev/null && break; sleep 0.2; done
port=$(grep -oP ':\K\d+' "$out/listening")
"$source" -s 20 -m "$messages" "127.0.0.1:$port"
callgrind_control -z "$server" > /dev/null
"$source" -s 20 -m "$messages" "127.0.0.1:$port"
callgrind_control -d "$server" > /dev/null
sleep 1
kill "$server"
wait "$server" 2> /dev/null || true
# The dump of the main thread: the first thread's file of the first dump.
instructions=$(callgrind_annotate "$(ls "$out"/callgrind.*.1-01)" | awk '/PROGRAM TOTALS/ { gsub(",", "", $1); print $1; exit }')
echo "$((instructions / messages)) instructions per message on the main thread ($dist, $messages messages)"
