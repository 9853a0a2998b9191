#!/usr/bin/env bash
# Where a create's WAL frames go: open tickets for about a second (less
# than a lap of the WAL, so no frame is overwritten), stop the server with
# SIGKILL so the WAL stays as it was written, and count its frames by the
# table or index each page belongs to. A frame is a 4 KiB page written at a
# group's commit; what a commit writes is what the WAL sync, the
# checkpoint and the writer's CPU pay for.
#
#   benches/http/wal_frames.sh BIN SEED_DIR [connections] [duration]
#
# SEED_DIR holds bench.db and clients.txt as `benches/http/run.sh` leaves
# them (SQLite only). Prints the tickets opened, the commits, frames per
# ticket, and per table or index: frames, frames per ticket and distinct
# pages. Needs wrk, curl, python3 and the sqlite3 shell (with dbstat, as
# Debian builds it).
set -euo pipefail
BIN=$(realpath "$1"); SEED=$2; CONNS=${3:-56}; DURATION=${4:-1s}
PORT=${PORT:-18083}
WORK=${WORK:-/tmp/tandem-wal-frames}
BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
export BENCH_DIR
# shellcheck source=serve.sh
. "$BENCH_DIR/serve.sh"
serve_seed_copy "$SEED"
bench_token wal_frames
before=$(sqlite3 "$WORK/run.db" "SELECT COUNT(*) FROM tickets")
start_server "$WORK/server.log"
timeout 60 wrk -t2 -c"$CONNS" -d"$DURATION" -s "$BENCH_DIR/create.lua" "http://127.0.0.1:$PORT" > /dev/null
kill -KILL "$PID"
wait "$PID" 2> /dev/null || true
trap - EXIT
cp "$WORK/run.db-wal" "$WORK/frames.wal"

# Frames of the WAL's current lap, as `commit page` lines: a frame belongs
# to the lap while its salts match the header's.
python3 - "$WORK/frames.wal" > "$WORK/frames.txt" <<'PY'
import struct, sys
wal = open(sys.argv[1], "rb").read()
page_size, salt = struct.unpack(">I", wal[8:12])[0], wal[16:24]
at, commit = 32, 0
while at + 24 + page_size <= len(wal) and wal[at + 8:at + 16] == salt:
    page, ends = struct.unpack(">II", wal[at:at + 8])
    print(commit, page)
    commit += ends != 0
    at += 24 + page_size
PY
# Recovering the WAL (the shell opening the database) puts the new pages
# where dbstat can name them.
opened=$(( $(sqlite3 "$WORK/run.db" "SELECT COUNT(*) FROM tickets") - before ))
sqlite3 "$WORK/run.db" <<SQL
CREATE TEMP TABLE frame (commit_no INTEGER, page INTEGER);
.mode list
.separator " "
.import $WORK/frames.txt frame
CREATE TEMP TABLE owner AS SELECT pageno, name FROM dbstat;
.print tickets opened: $opened
SELECT 'commits: ' || COUNT(DISTINCT commit_no) || ', frames: ' || COUNT(*)
  || ', frames a ticket: ' || ROUND(COUNT(*) * 1.0 / MAX($opened, 1), 2) FROM frame;
.mode column
.headers on
SELECT o.name AS "table or index", COUNT(*) AS frames,
  ROUND(COUNT(*) * 1.0 / MAX($opened, 1), 2) AS "a ticket",
  COUNT(DISTINCT f.page) AS pages
FROM frame f LEFT JOIN owner o ON o.pageno = f.page
GROUP BY o.name ORDER BY frames DESC;
SQL
