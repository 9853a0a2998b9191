#!/usr/bin/env bash
# One scenario against one build on a fresh copy of a seeded database, for
# comparing builds back to back (this kind of machine drifts by tens of
# percent over minutes, so only alternating pairs compare): copy the
# seed, serve it, warm up for 3 s, drive it with wrk, and print one line:
# requests a second, latencies, the server's CPU and disk writes per
# request, the writer thread's CPU per request, how busy the whole machine
# was, and the server's peak RSS.
#
#   benches/http/ab.sh BIN SEED_DIR [scenario] [duration] [connections]
#
# SEED_DIR holds bench.db and clients.txt as `benches/http/run.sh` leaves
# them in its work directory (SQLite only). Serves on 127.0.0.1:${PORT:-18081};
# the copy goes to ${WORK:-/tmp/tandem-ab}. Needs wrk and curl.
set -euo pipefail
BIN=$(realpath "$1"); SEED=$2; SCENARIO=${3:-create}; DURATION=${4:-12s}; CONNS=${5:-16}
PORT=${PORT:-18081}
WORK=${WORK:-/tmp/tandem-ab}
BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
export BENCH_DIR
# shellcheck source=serve.sh
. "$BENCH_DIR/serve.sh"
serve_seed_copy "$SEED"
bench_token ab
start_server "$WORK/server.log"
[[ "$SCENARIO" != read && "$SCENARIO" != time ]] || bench_tickets "$WORK/tickets.txt"
[[ "$SCENARIO" != page_save ]] || bench_pages "$WORK/pages.txt"
# page_save keeps one page per thread, so it runs a thread per connection.
THREADS=2
[[ "$SCENARIO" != page_save ]] || THREADS=$CONNS
URL="http://127.0.0.1:$PORT"
timeout 60 wrk -t"$THREADS" -c"$CONNS" -d3s -s "$BENCH_DIR/$SCENARIO.lua" "$URL" > /dev/null

# CPU ticks of the server (utime + stime), its bytes sent to the disk, and
# the machine's idle and iowait ticks, before and after.
server_ticks() { awk '{ print $14 + $15 }' "/proc/$PID/stat"; }
server_written() { awk '/^write_bytes/ { print $2 }' "/proc/$PID/io"; }
machine() { awk 'NR == 1 { print $2 + $3 + $4 + $5 + $6 + $7 + $8, $5 + $6 }' /proc/stat; }
# The writer thread's own CPU (nanoseconds on a core), for writes: it is
# the serial part of every create, and steadier than the rates when the
# machine drifts.
writer_ns() {
  local t
  for t in /proc/"$PID"/task/*; do
    [ "$(cat "$t/comm")" = tandem-writer ] && { awk '{ print $1 }' "$t/schedstat"; return; }
  done
  echo 0
}
t0=$(server_ticks); b0=$(server_written); w0=$(writer_ns); read -r all0 idle0 < <(machine)
timeout 300 wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" --timeout 10s --latency -s "$BENCH_DIR/$SCENARIO.lua" "$URL" > "$WORK/wrk.txt"
t1=$(server_ticks); b1=$(server_written); w1=$(writer_ns); read -r all1 idle1 < <(machine)

requests=$(awk '/requests in/ { print $1 }' "$WORK/wrk.txt")
rps=$(awk '/^Requests\/sec/ { print $2 }' "$WORK/wrk.txt")
latency=$(awk '$1 == "50%" || $1 == "90%" || $1 == "99%" { printf "p%s %s ", substr($1, 1, 2), $2 }' "$WORK/wrk.txt")
bad=$(awk '/Non-2xx/ { print $NF }' "$WORK/wrk.txt")
hz=$(getconf CLK_TCK)
echo "$SCENARIO $(basename "$BIN"): $rps req/s ${latency}non-2xx ${bad:-0}" \
  "server CPU $(( (t1 - t0) * 1000000 / hz / requests )) us/req" \
  "writer CPU $(( (w1 - w0) / 1000 / requests )) us/req" \
  "disk writes $(( (b1 - b0) / 1024 / requests )) KiB/req" \
  "machine $(( 100 - 100 * (idle1 - idle0) / (all1 - all0) ))% busy" \
  "$(awk '/^VmHWM/ { printf "peak RSS %d MiB", $2 / 1024 }' "/proc/$PID/status")"
