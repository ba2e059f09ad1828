# What the receiving recipes (examples/*/receive.sh) share: the broken senders to run, a
# free loopback port for the MTA under test, one run of a sender, and its row of the table.
# Sourced after lib/common.sh; it defines functions and nothing else. The callers set
# BROKEN_MTA, work, from, rcpt and port, and define telling_line: what the MTA's log lines
# of a run ($1; $2 the outcome) say most about what it did.

# The scenarios named, else every sender scenario broken-mta lists; sets the array
# scenarios. Exits 1 when broken-mta lists none (it is not built).
sender_scenarios() { # $@: the scenarios named on the command line
  scenarios=("$@")
  [ ${#scenarios[@]} -eq 0 ] || return 0
  mapfile -t scenarios < <($BROKEN_MTA list --senders 2>/dev/null | awk '{print $1}')
  [ ${#scenarios[@]} -gt 0 ] || { echo "broken-mta list --senders printed nothing: is $BROKEN_MTA built?" >&2; exit 1; }
}

# A port of 127.0.0.1 nobody listens on now, for the MTA under test to take.
free_port() {
  node -e "const s = require('net').createServer().listen(0, '127.0.0.1', () => { console.log(s.address().port); s.close(); })"
}

# Whether a socket listens on 127.0.0.1:$1, from the kernel's table (no test connection,
# which the MTA would log).
listening_on() { # $1: the port
  grep -q "^ *[0-9]*: 0100007F:$(printf '%04X' "$1") 00000000:0000 0A" /proc/net/tcp
}

# One run of broken sender $1 against 127.0.0.1:$port; its events, stderr and exit code go
# to its folder. Whatever the sender makes of the MTA, the recipe goes on.
send_from() { # $1: the scenario, $2: its folder
  set +e
  $BROKEN_MTA send --scenario "$1" --to "127.0.0.1:$port" --from "$from" --rcpt "$rcpt" --timeout 15000 --json >"$2/events.jsonl" 2>"$2/send.err"
  echo $? >"$2/exit"
  set -e
}

print_table_head() { # $1: the heading of the log column
  printf '%-38s %-34s %-8s %s\n' scenario outcome healthy "$1"
}

# A field of the result event in $result (a caller's local), unquoted.
result_field() { sed -n "s/.*\"$1\":\([a-z0-9\"]*\).*/\1/p" <<<"$result" | tr -d '"'; }

# Broken sender $1's row: the outcome broken-mta saw, whether a healthy receiver does that,
# and telling_line's pick of the MTA's log lines $3. Returns 1, with a "(send failed)" row,
# when broken-mta wrote no result.
print_row() { # $1: the scenario, $2: its folder, $3: the MTA's log lines of the run
  local result outcome healthy
  result=$(grep '"type":"result"' "$2/events.jsonl" || true)
  if [ -z "$result" ]; then
    printf '%-38s %-34s %-8s %s\n' "$1" "(send failed)" "-" "$(head -n 1 "$2/send.err")"
    return 1
  fi
  if [ "$(result_field split)" = true ]; then outcome="SPLIT: $(result_field messages) messages"
  elif [ "$(result_field delivered)" = true ]; then
    if [ "$(result_field secure)" = true ]; then outcome="delivered over TLS"; else outcome="delivered in plaintext"; fi
  else outcome="not delivered"; fi
  [ "$(result_field tls)" != failed ] || outcome="$outcome, TLS failed"
  healthy=$([ "$(result_field asExpected)" = true ] && echo yes || echo NO)
  printf '%-38s %-34s %-8s %s\n' "$1" "$outcome" "$healthy" "$(telling_line "$3" "$outcome")"
}
