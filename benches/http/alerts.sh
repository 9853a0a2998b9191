#!/usr/bin/env bash
# Alert intake under load (issue 16), on a fresh copy of a seeded database:
#
#   benches/http/alerts.sh BIN SEED_DIR [duration] [connections]
#
# SEED_DIR holds bench.db and clients.txt as `benches/http/run.sh` leaves
# them (SQLite). Makes one Alertmanager intake source on each of the first
# 20 bench clients (made by each client's admin through the API, one
# ticket per alert: group_alerts off), then drives them with alerts.lua
# (payloads of 10 alerts, 70% repeats of open alerts) while a second
# driver reads tickets of 20 other clients (about 200 a second), and prints: alerts a second,
# intake latencies, non-2xx answers, the other clients' read latency
# before and during the flood, and the server's peak RSS.
#
# STORM=N sets the sources' flood control (new tickets a minute before
# alerts join one storm ticket; 0 turns it off; the default is the
# product's, 30). Serves on 127.0.0.1:${PORT:-18082}; the copy goes to ${WORK:-/tmp/tandem-alerts}.
# With TANDEM_DATABASE_URL=postgres://... set, serves that database
# instead (load it with run.sh first); SEED_DIR still gives clients.txt.
# Needs wrk and curl.
set -euo pipefail
BIN=$(realpath "$1"); SEED=$2; DURATION=${3:-20s}; CONNS=${4:-16}
PORT=${PORT:-18082}
WORK=${WORK:-/tmp/tandem-alerts}
SOURCES=20
mkdir -p "$WORK"
if [[ "${TANDEM_DATABASE_URL:-}" != postgres* ]]; then
  rm -f "$WORK"/run.db "$WORK"/run.db-wal "$WORK"/run.db-shm
  cp "$SEED/bench.db" "$WORK/run.db"
  sync
  export TANDEM_DATABASE_URL="sqlite://$WORK/run.db"
fi
BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
export TANDEM_LOG=${TANDEM_LOG:-warn} TANDEM_BIND="127.0.0.1:$PORT" BENCH_DIR
URL="http://127.0.0.1:$PORT"
# shellcheck source=serve.sh
. "$BENCH_DIR/serve.sh"
bench_token alerts
start_server "$WORK/server.log"

# One source per flooding client, made by that client's admin.
export BENCH_ALERT_KEYS="$WORK/keys.txt"
: > "$BENCH_ALERT_KEYS"
for i in $(seq 0 $((SOURCES - 1))); do
  client=$(sed -n "$((i + 1))p" "$SEED/clients.txt" | cut -d' ' -f1)
  admin_token=$("$BIN" token create --user "$(printf 'admin@bench-%03d.example' "$i")" --name alerts 2>/dev/null)
  curl -fsS -H "Authorization: Bearer $admin_token" -H 'Content-Type: application/json' \
    -d "{\"name\":\"Bench Alertmanager\",\"kind\":\"alertmanager\",\"default_category\":\"network\",\"group_alerts\":false${STORM:+,\"storm_per_minute\":$STORM}}" \
    "$URL/api/v1/clients/$client/alert-sources" | grep -o '"key":"[^"]*"' | cut -d'"' -f4 >> "$BENCH_ALERT_KEYS"
done
[[ $(wc -l < "$BENCH_ALERT_KEYS") -eq $SOURCES ]] || { echo "could not make $SOURCES sources" >&2; exit 1; }

# The other clients: tickets of bench clients 20-39, read by the engineer.
BENCH_CLIENTS_ALL="$SEED/clients.txt"
sed -n "$((SOURCES + 1)),$((SOURCES * 2))p" "$BENCH_CLIENTS_ALL" > "$WORK/others.txt"
BENCH_CLIENTS="$WORK/others.txt" bench_tickets "$WORK/tickets.txt"

probe() { # $1: duration, $2: output file; about 200 reads a second
  BENCH_PACE_MS=10 timeout 300 wrk -t1 -c2 -d"$1" --timeout 10s --latency -s "$BENCH_DIR/read.lua" "$URL" > "$2"
}
latency_of() {
  awk '$1 == "50%" || $1 == "99%" { printf "p%s %s ", substr($1, 1, 2), $2 } /^Requests\/sec/ { printf "%s req/s", $2 }' "$1"
}

probe 8s "$WORK/probe-quiet.txt"
timeout 60 wrk -t2 -c"$CONNS" -d3s -s "$BENCH_DIR/alerts.lua" "$URL" > /dev/null
# The server's CPU (utime + stime ticks) and its writers' (ns): the
# in-place writer thread and sqlx's SQLite worker threads.
server_ticks() { awk '{ print $14 + $15 }' "/proc/$PID/stat"; }
writer_ns() {
  local t
  for t in /proc/"$PID"/task/*; do
    case "$(cat "$t/comm")" in tandem-writer | sqlx-sqlite-*) awk '{ s += $1 } END { print s }' "$t/schedstat" ;; esac
  done | awk '{ s += $1 } END { print s + 0 }'
}
probe "$DURATION" "$WORK/probe-flood.txt" &
PROBE=$!
t0=$(server_ticks); w0=$(writer_ns)
timeout 300 wrk -t2 -c"$CONNS" -d"$DURATION" --timeout 10s --latency -s "$BENCH_DIR/alerts.lua" "$URL" > "$WORK/wrk.txt"
t1=$(server_ticks); w1=$(writer_ns)
wait "$PROBE"

rps=$(awk '/^Requests\/sec/ { print $2 }' "$WORK/wrk.txt")
latency=$(awk '$1 == "50%" || $1 == "90%" || $1 == "99%" { printf "p%s %s ", substr($1, 1, 2), $2 }' "$WORK/wrk.txt")
bad=$(awk '/Non-2xx/ { print $NF }' "$WORK/wrk.txt")
errors=$(awk '/Socket errors/ { print }' "$WORK/wrk.txt")
echo "alerts $(basename "$BIN"): $(awk -v r="$rps" 'BEGIN { printf "%.0f", r * 10 }') alerts/s ($rps req/s of 10) ${latency}non-2xx ${bad:-0} ${errors}"
echo "  other clients' ticket reads: quiet $(latency_of "$WORK/probe-quiet.txt"); during the flood $(latency_of "$WORK/probe-flood.txt")"
requests=$(awk '/requests in/ { print $1 }' "$WORK/wrk.txt")
probes=$(awk '/requests in/ { print $1 }' "$WORK/probe-flood.txt")
echo "  server CPU $(( (t1 - t0) * 1000000 / $(getconf CLK_TCK) / (requests + probes) )) us/request (intake and reads)," \
  "writer threads' CPU $(( (w1 - w0) / 1000 / requests )) us/intake request"
echo "  $(awk '/^VmHWM/ { printf "server peak RSS %d MiB", $2 / 1024 }' "/proc/$PID/status")"
