#!/usr/bin/env bash
# The ticket list polled while tickets are being opened beside it: one
# server on a fresh copy of a seeded database, wrk on the list at 16
# connections and, at the same time, wrk opening tickets on CREATE_CONNS
# connections; prints both rates and their p99 (and any non-2xx).
#
#   benches/http/mixed.sh BIN SEED_DIR [create_connections] [duration]
#
# SEED_DIR as for ab.sh (bench.db and clients.txt, SQLite only). Serves on
# 127.0.0.1:${PORT:-18083}; the copy goes to ${WORK:-/tmp/tandem-mixed}.
set -euo pipefail
BIN=$(realpath "$1"); SEED=$2; CREATE_CONNS=${3:-4}; DURATION=${4:-12s}
PORT=${PORT:-18083}
WORK=${WORK:-/tmp/tandem-mixed}
BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
export BENCH_DIR
# shellcheck source=serve.sh
. "$BENCH_DIR/serve.sh"
serve_seed_copy "$SEED"
bench_token mixed
start_server "$WORK/server.log"
URL="http://127.0.0.1:$PORT"
timeout 60 wrk -t2 -c16 -d3s -s "$BENCH_DIR/list.lua" "$URL" > /dev/null
timeout 300 wrk -t1 -c"$CREATE_CONNS" -d"$DURATION" --timeout 10s --latency -s "$BENCH_DIR/create.lua" "$URL" > "$WORK/create.txt" &
CREATES=$!
timeout 300 wrk -t2 -c16 -d"$DURATION" --timeout 10s --latency -s "$BENCH_DIR/list.lua" "$URL" > "$WORK/list.txt"
wait "$CREATES"
for s in list create; do
  echo "$s: $(awk '/^Requests\/sec/ { print $2 }' "$WORK/$s.txt") req/s" \
    "p99 $(awk '$1 == "99%" { print $2 }' "$WORK/$s.txt")" \
    "non-2xx $(awk '/Non-2xx/ { print $NF }' "$WORK/$s.txt")"
done
