# Sourced by run.sh and ab.sh: the bench token, and the server under test.
# Expects BIN, PORT and the TANDEM_* settings of the database to serve.

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
