#!/usr/bin/env bash
# The HTTP benchmarks of issue 3, reproducibly: build, seed a fresh
# database, serve on loopback, drive each scenario with wrk for a bounded
# time, sample the server's RSS, stop it, and print a summary.
#
#   benches/http/run.sh                       # SQLite, 200 clients, 1,000,000 tickets
#   TICKETS=100000 benches/http/run.sh        # smaller data set
#   TANDEM_DATABASE_URL=postgres://postgres@127.0.0.1:5432/tandem_bench benches/http/run.sh
#                                             # PostgreSQL: the database must exist and be empty
#   TICKETS=20000 PAGES=100000 ASSETS=500000 SCENARIOS="page_search asset_list page_save" \
#     benches/http/run.sh                     # documentation and asset records (issue 17)
#
# Settings (environment): CLIENTS, TICKETS, PAGES, ASSETS, THREADS (wrk), CONNS (wrk
# connections, i.e. concurrent clients), DURATION (per scenario),
# SCENARIOS (default "create read list queue queue_page search"; also "time",
# logging time on tickets; "page_search", "asset_list" and "page_save"
# want PAGES and ASSETS), PORT, WORK (output directory),
# SKIP_BUILD=1, SKIP_SEED=1 (reuse the database and clients file in WORK;
# SQLite only, or a PostgreSQL database seeded before).
# Needs wrk (Debian: apt-get install -y wrk) and curl.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
CLIENTS=${CLIENTS:-200}
TICKETS=${TICKETS:-1000000}
THREADS=${THREADS:-2}
CONNS=${CONNS:-16}
DURATION=${DURATION:-20s}
SCENARIOS=${SCENARIOS:-create read list queue queue_page search}
PORT=${PORT:-18080}
WORK=${WORK:-$(mktemp -d /tmp/tandem-bench.XXXXXX)}
mkdir -p "$WORK"
BIN="$ROOT/target/release/tandem"

if [[ -z "${SKIP_BUILD:-}" ]]; then
  cargo build --release -p tandem
fi

if [[ -z "${TANDEM_DATABASE_URL:-}" || "$TANDEM_DATABASE_URL" == sqlite:* ]]; then
  if [[ -z "${SKIP_SEED:-}" ]]; then
    rm -f "$WORK"/bench.db "$WORK"/bench.db-wal "$WORK"/bench.db-shm
  fi
  export TANDEM_DATABASE_URL="sqlite://$WORK/bench.db"
fi
export TANDEM_LOG=${TANDEM_LOG:-warn}
export TANDEM_BIND="127.0.0.1:$PORT"
export BENCH_CLIENTS="$WORK/clients.txt"
export BENCH_DIR="$ROOT/benches/http"

# The machine, as creates feel it: figures from one box are only
# comparable with figures from another once these agree (page-cache
# writes and synced writes are most of what a durable create costs).
calibrate() {
  local f="$WORK/calibrate.tmp" buffered cached synced
  buffered=$(dd if=/dev/zero of="$f" bs=4k count=50000 2>&1 | awk -F', ' 'END { print $NF }')
  # The same writes over pages already in the page cache, as the WAL's
  # later laps are: on some machines ten times cheaper than new pages.
  cached=$(dd if=/dev/zero of="$f" bs=4k count=50000 conv=notrunc 2>&1 | awk -F', ' 'END { print $NF }')
  synced=$(dd if=/dev/zero of="$f" bs=4k count=200 oflag=dsync 2>&1 | awk -F', ' 'END { print $(NF-1) }')
  rm -f "$f"
  echo "$(nproc) cores ($(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)); 4 KiB buffered writes $buffered (over cached pages $cached); 200 synced 4 KiB writes in $synced"
}
MACHINE=$(calibrate)
echo "== machine: $MACHINE" | tee "$WORK/machine.txt"

if [[ -z "${SKIP_SEED:-}" ]]; then
  echo "== seeding $CLIENTS clients, $TICKETS tickets into ${TANDEM_DATABASE_URL%%\?*} (work dir $WORK)"
  seed_start=$(date +%s)
  timeout 3600 "$BIN" bench-seed --clients "$CLIENTS" --tickets "$TICKETS" \
    --pages "${PAGES:-0}" --assets "${ASSETS:-0}" --out "$BENCH_CLIENTS" 2>&1 | tee "$WORK/seed.txt"
  echo "seeded in $(( $(date +%s) - seed_start ))s"
  if [[ "$TANDEM_DATABASE_URL" == sqlite:* ]]; then
    du -h "$WORK"/bench.db* | tee -a "$WORK/seed.txt"
  fi
fi

# shellcheck source=serve.sh
. "$BENCH_DIR/serve.sh"
bench_token bench
start_server "$WORK/server.log"

# A browser session for the page scenario: the login form, as a person
# signs in (its CSRF cookie and field, the Origin the server checks).
JAR="$WORK/cookies.txt"
rm -f "$JAR"
csrf=$(curl -fsS -c "$JAR" "http://127.0.0.1:$PORT/login" | grep -o 'name="csrf" value="[^"]*"' | sed 's/.*value="//; s/"$//')
curl -fsS -o /dev/null -b "$JAR" -c "$JAR" -H "Origin: http://127.0.0.1:$PORT" \
  --data-urlencode "email=dev.ramanathan@harborlane.example" --data-urlencode "password=tandem-demo-2026" \
  --data-urlencode "csrf=$csrf" "http://127.0.0.1:$PORT/login"
TANDEM_SESSION=$(awk '$6 == "tandem_session" { print $7 }' "$JAR")
[[ -n "$TANDEM_SESSION" ]] || { echo "could not sign in for the page scenario" >&2; exit 1; }
export TANDEM_SESSION

if [[ " $SCENARIOS " == *" read "* || " $SCENARIOS " == *" time "* ]]; then
  bench_tickets "$WORK/tickets.txt"
  echo "== $(wc -l < "$BENCH_TICKETS") ticket ids for the read scenario"
fi

if [[ " $SCENARIOS " == *" page_save "* ]]; then
  bench_pages "$WORK/pages.txt"
fi

rss() { awk '/^VmHWM|^VmRSS/ { printf "%s %d MiB  ", $1, $2 / 1024 }' "/proc/$PID/status"; }
echo "== server pid $PID; after start: $(rss)" | tee "$WORK/rss.txt"

# One request at a time first: the cost of a query without queueing.
probe() {
  local t
  t=$(curl -sS -o /dev/null -m 60 -w '%{http_code} %{time_total}s' \
    -H "Authorization: Bearer $TANDEM_TOKEN" "http://127.0.0.1:$PORT$1") || t="failed"
  echo "single $1: $t" | tee -a "$WORK/probes.txt"
}
probe "/api/v1/tickets?view=my_side&limit=50"
probe "/api/v1/tickets?view=my_side&limit=50"
curl -sS -o /dev/null -m 60 -w 'single /tickets?view=my_side (page): %{http_code} %{time_total}s\n' \
  -H "Cookie: tandem_session=$TANDEM_SESSION" "http://127.0.0.1:$PORT/tickets?view=my_side" | tee -a "$WORK/probes.txt"
for w in printer network vmware jamf; do probe "/api/v1/tickets?view=all&limit=50&q=$w"; done

for s in $SCENARIOS; do
  # page_save keeps one page per wrk thread: a thread per connection.
  t=$THREADS
  [[ "$s" != page_save ]] || t=$CONNS
  echo "== $s: wrk -t$t -c$CONNS -d$DURATION"
  timeout 300 wrk -t"$t" -c"$CONNS" -d"$DURATION" --timeout 10s --latency \
    -s "$BENCH_DIR/$s.lua" "http://127.0.0.1:$PORT" | tee "$WORK/$s.txt"
  echo "$s: $(rss)" | tee -a "$WORK/rss.txt"
  # Let requests still running on the server (wrk gave up on them) finish
  # before the next scenario: wait until the queue answers /readyz quickly.
  for _ in $(seq 1 60); do
    curl -fsS -m 1 "http://127.0.0.1:$PORT/readyz" > /dev/null 2>&1 && break
    sleep 1
  done
  sleep 2
done

kill -TERM "$PID"
for _ in $(seq 1 60); do kill -0 "$PID" 2>/dev/null || break; sleep 0.5; done
if kill -0 "$PID" 2>/dev/null; then echo "server did not stop in 30s" >&2; kill -KILL "$PID"; fi
trap - EXIT

echo
echo "== summary ($CLIENTS clients, $TICKETS tickets, wrk -t$THREADS -c$CONNS -d$DURATION, ${TANDEM_DATABASE_URL%%:*})"
echo "machine: $MACHINE"
printf '%-8s %10s %10s %10s %10s %8s  %s\n' scenario req/s p50 p90 p99 non-2xx rss-after
for s in $SCENARIOS; do
  f="$WORK/$s.txt"
  rps=$(awk '/^Requests\/sec/ { print $2 }' "$f")
  p50=$(awk '$1 == "50%" { print $2 }' "$f")
  p90=$(awk '$1 == "90%" { print $2 }' "$f")
  p99=$(awk '$1 == "99%" { print $2 }' "$f")
  bad=$(awk '/Non-2xx/ { print $NF }' "$f"); bad=${bad:-0}
  err=$(awk '/Socket errors/ { print "(" $0 ")" }' "$f")
  printf '%-8s %10s %10s %10s %10s %8s  %s %s\n' "$s" "$rps" "$p50" "$p90" "$p99" "$bad" "$(grep "^$s:" "$WORK/rss.txt" | cut -d: -f2-)" "$err"
done
echo "outputs in $WORK"
