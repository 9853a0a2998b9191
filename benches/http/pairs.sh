#!/usr/bin/env bash
# Two variants of one scenario, alternating, and the median of each: the
# way to compare a change on a machine whose speed drifts by a fifth from
# one minute to the next (BENCHMARKS.md, sessions 22-25), where one run of
# each side tells nothing. A variant is a build and a seed directory, so
# this compares two builds on one seed, or one build on two seeds (an
# index dropped in a copy, say).
#
#   benches/http/pairs.sh BIN_A SEED_A BIN_B SEED_B [rounds] [scenario] [duration] [connections]
#
# Each round runs A then B, and the next round B then A, so that neither
# side always runs on a warmer machine. Prints every run as ab.sh does,
# then per side the median of requests a second, of p99 and of the
# writer's CPU a request. Defaults: 4 rounds of `create 12s 56`.
set -euo pipefail
A_BIN=$1; A_SEED=$2; B_BIN=$3; B_SEED=$4
ROUNDS=${5:-4}; SCENARIO=${6:-create}; DURATION=${7:-12s}; CONNS=${8:-56}
HERE=$(cd "$(dirname "$0")" && pwd)
OUT=$(mktemp)
trap 'rm -f "$OUT"' EXIT

run() {
  local side=$1 bin=$2 seed=$3 line
  line=$("$HERE/ab.sh" "$bin" "$seed" "$SCENARIO" "$DURATION" "$CONNS" | tail -1)
  echo "$side: $line"
  echo "$side $line" >> "$OUT"
}

for round in $(seq 1 "$ROUNDS"); do
  if (( round % 2 )); then
    run A "$A_BIN" "$A_SEED"; run B "$B_BIN" "$B_SEED"
  else
    run B "$B_BIN" "$B_SEED"; run A "$A_BIN" "$A_SEED"
  fi
done

# ab.sh's line: "<scenario> <bin>: <req/s> req/s p50 X p90 Y p99 Z ... writer CPU W us/req ...".
# p99 is printed by wrk with its unit (us, ms or s); medians are taken in ms.
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
for side in A B; do
  rps=$(awk -v s="$side" '$1 == s { print $4 }' "$OUT" | median)
  p99=$(awk -v s="$side" '$1 == s { for (i = 1; i < NF; i++) if ($i == "p99") { v = $(i + 1);
          if (v ~ /us$/) print v / 1000; else if (v ~ /ms$/) print v + 0; else print v * 1000 } }' "$OUT" | median)
  writer=$(awk -v s="$side" '$1 == s { for (i = 1; i < NF; i++) if ($i == "writer") print $(i + 2) }' "$OUT" | median)
  echo "median $side over $ROUNDS runs: $rps req/s, p99 $p99 ms, writer CPU $writer us/req"
done
