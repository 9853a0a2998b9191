# Sourced by run.sh, ab.sh and mixed.sh: the bench token, and the server
# under test. Expects BIN, PORT and the TANDEM_* settings of the database to
# serve (or sets them, with serve_seed_copy).

# Copy a seed directory's database (SEED_DIR/bench.db, as run.sh leaves it)
# to WORK/run.db and point the server at it on PORT, with the seed's clients
# for the scenarios.
serve_seed_copy() {
  local seed=$1
  mkdir -p "$WORK"
  rm -f "$WORK"/run.db "$WORK"/run.db-wal "$WORK"/run.db-shm
  cp "$seed/bench.db" "$WORK/run.db"
  sync
  export TANDEM_DATABASE_URL="sqlite://$WORK/run.db" TANDEM_LOG=${TANDEM_LOG:-warn} TANDEM_BIND="127.0.0.1:$PORT"
  export BENCH_CLIENTS="$seed/clients.txt"
}

# Export a bearer token for the seeded engineer the scenarios act as.
bench_token() {
  TANDEM_TOKEN=$("$BIN" token create --user dev.ramanathan@harborlane.example --name "$1" 2>/dev/null)
  export TANDEM_TOKEN
}

# Start the server (its log in $1), stop it when the script exits, and
# wait until it answers /readyz; the server's pid is left in PID.
start_server() {
  "$BIN" serve 2> "$1" &
  PID=$!
  trap 'kill -TERM "$PID" 2>/dev/null || true' EXIT
  for _ in $(seq 1 120); do
    curl -fsS "http://127.0.0.1:$PORT/readyz" > /dev/null 2>&1 && break
    sleep 0.5
  done
  curl -fsS "http://127.0.0.1:$PORT/readyz" > /dev/null
}

# Export BENCH_TICKETS: a file of ticket ids the bench engineer may read,
# the newest 500 of each of the first 40 bench clients (20,000 ids spread
# over the whole data set), for the `read` scenario. Needs the server up.
bench_tickets() {
  BENCH_TICKETS=$1
  : > "$BENCH_TICKETS"
  local client
  head -n 40 "$BENCH_CLIENTS" | while read -r client _; do
    curl -fsS -H "Authorization: Bearer $TANDEM_TOKEN" \
      "http://127.0.0.1:$PORT/api/v1/tickets?client_id=$client&limit=500" \
      | grep -o '"id":"[0-9a-f-]*"' | cut -d'"' -f4 >> "$BENCH_TICKETS"
  done
  [[ -s "$BENCH_TICKETS" ]] || { echo "no ticket ids for the read scenario" >&2; return 1; }
  export BENCH_TICKETS
}

# Export BENCH_PAGES: `client-id page-id` of the first documentation page
# of each of the first 64 bench clients, for the `page_save` scenario
# (one page per wrk thread). Needs the server up.
bench_pages() {
  BENCH_PAGES=$1
  : > "$BENCH_PAGES"
  local client
  head -n 64 "$BENCH_CLIENTS" | while read -r client _; do
    curl -fsS -H "Authorization: Bearer $TANDEM_TOKEN" \
      "http://127.0.0.1:$PORT/api/v1/clients/$client/pages?limit=1" \
      | grep -o '"id":"[0-9a-f-]*"' | head -n 1 | cut -d'"' -f4 | sed "s/^/$client /" >> "$BENCH_PAGES"
  done
  [[ -s "$BENCH_PAGES" ]] || { echo "no pages for the page_save scenario" >&2; return 1; }
  export BENCH_PAGES
}
