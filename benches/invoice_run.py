#!/usr/bin/env python3
"""The invoice run's data set (issue 15): an active agreement on every
engagement of a database `tandem bench-seed` made, and time entries spread
over those clients' tickets in one month; then time `tandem invoice run`.

    target/release/tandem bench-seed --clients 1000 --tickets 100000   # with TANDEM_DATABASE_URL=sqlite://...
    python3 benches/invoice_run.py /tmp/inv/bench.db --entries 1000000 --period 2026-11
    TANDEM_DATABASE_URL=sqlite:///tmp/inv/bench.db target/release/tandem invoice run --period 2026-11

The database is a SQLite file or a `postgres://` URL (then rows go through
`psql`'s COPY; no Python driver needed):

    TANDEM_DATABASE_URL=postgres://postgres@127.0.0.1:5432/inv target/release/tandem bench-seed --clients 1000 --tickets 100000
    python3 benches/invoice_run.py postgres://postgres@127.0.0.1:5432/inv --entries 1000000 --period 2026-11

Each agreement is a
hybrid that exercises every query of a run: per user (active requester
accounts), per device (counted day by day), excluded work at its own rate,
after-hours work, and a credit for every priority. Entries are the bench
engineer's, in scope or not, some after hours.
"""

from __future__ import annotations

import argparse
import calendar
import csv
import datetime as dt
import io
import json
import random
import sqlite3
import subprocess
import time
import uuid

TERMS = {
    "currency": {"code": "USD", "decimals": 2},
    "starts_on": "2026-01-01",
    "ends_on": None,
    "invoice_day": 1,
    "payment_days": 30,
    "tax_bps": 825,
    "pricing": {
        "per_user": {"rate": 8500, "counting": {"kind": "active_requesters"}, "minimum": 10},
        "per_device": {"rates": {"workstation": 4500, "server": 30000, "network_device": 2500}},
        "excluded_rate": 19000,
        "rounding": {"increment_minutes": 15, "minimum_minutes": 15, "after_hours_bps": 15000},
    },
    "credits": {
        "p1": {"kind": "share_of_base", "value": 500},
        "p2": {"kind": "fixed", "value": 25000},
        "p3": {"kind": "fixed", "value": 10000},
        "p4": {"kind": "fixed", "value": 0},
    },
    "credit_cap": {"kind": "share_of_base", "value": 1500},
    "inclusions": [],
    "exclusions": [],
}


class Sqlite:
    def __init__(self, path: str) -> None:
        self.db = sqlite3.connect(path)

    def rows(self, sql: str) -> list[tuple]:
        return self.db.execute(sql).fetchall()

    def execute(self, sql: str) -> None:
        self.db.execute(sql)

    def insert(self, table: str, columns: list[str], rows: list[tuple]) -> None:
        marks = ", ".join("?" for _ in columns)
        self.db.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows)

    def commit(self) -> None:
        self.db.commit()


class Postgres:
    """Through `psql`: reads as unaligned text, writes as CSV into COPY."""

    def __init__(self, url: str) -> None:
        self.url = url

    def rows(self, sql: str) -> list[tuple]:
        out = subprocess.run(["psql", self.url, "-XAt", "-F", "\t", "-c", sql], check=True,
                             capture_output=True, text=True).stdout
        return [tuple(line.split("\t")) for line in out.splitlines() if line]

    def execute(self, sql: str) -> None:
        subprocess.run(["psql", self.url, "-Xq", "-v", "ON_ERROR_STOP=1", "-c", sql], check=True)

    def insert(self, table: str, columns: list[str], rows: list[tuple]) -> None:
        if not rows:
            return
        buf = io.StringIO()
        w = csv.writer(buf)
        for r in rows:
            w.writerow(["true" if v is True else "false" if v is False else v for v in r])
        subprocess.run(["psql", self.url, "-Xq", "-v", "ON_ERROR_STOP=1", "-c",
                        f"\\copy {table} ({', '.join(columns)}) FROM pstdin WITH (FORMAT csv)"],
                       input=buf.getvalue(), text=True, check=True)

    def commit(self) -> None:
        pass


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("db")
    ap.add_argument("--entries", type=int, default=1_000_000)
    ap.add_argument("--period", default="2026-11")
    args = ap.parse_args()
    year, month = (int(x) for x in args.period.split("-"))
    first = dt.datetime(year, month, 1, tzinfo=dt.timezone.utc)
    days = calendar.monthrange(year, month)[1]
    span_ms = days * 86_400_000
    start_ms = int(first.timestamp() * 1000)

    db = Sqlite(args.db) if not args.db.startswith("postgres") else Postgres(args.db)
    rnd = random.Random(15)
    started = time.monotonic()
    engagements = db.rows("SELECT id, client_id, provider_id FROM engagements WHERE status = 'active'")
    dev = db.rows("SELECT id FROM users WHERE email = 'dev.ramanathan@harborlane.example'")[0][0]
    admin = db.rows("SELECT id FROM users WHERE role = 'provider_admin' ORDER BY created_at LIMIT 1")[0][0]
    tickets: dict[str, list[str]] = {}
    for client, ticket in db.rows(
        "SELECT client_id, id FROM (SELECT client_id, id, ROW_NUMBER() OVER (PARTITION BY client_id ORDER BY id) AS n "
        "FROM tickets) AS t WHERE n <= 50"
    ):
        tickets.setdefault(client, []).append(ticket)
    engagements = [e for e in engagements if e[1] in tickets]
    now = int(time.time() * 1000)
    db.execute("DELETE FROM agreements WHERE status = 'active'")
    db.insert(
        "agreements",
        ["id", "engagement_id", "client_id", "provider_id", "status", "terms", "version", "created_at",
         "created_by", "proposed_at", "proposed_by", "decided_at", "decided_by"],
        [
            (str(uuid.uuid4()), e, c, p, "active", json.dumps(TERMS), 3, now, admin, now, admin, now, admin)
            for (e, c, p) in engagements
        ],
    )
    # Per-user pricing counts requesters from the accounts' history, which
    # bench-seed wrote as of now: every account active since the day before
    # the month, and one requester in eight leaving on some day of it, so
    # the run counts users day by day.
    db.execute(f"UPDATE account_periods SET active_from = {start_ms - 86_400_000} WHERE active_until IS NULL")
    db.execute(f"UPDATE account_periods SET active_until = {start_ms} + (id % {days}) * 86400000 + 43200000 "
               f"WHERE role = 'requester' AND id % 8 = 0 AND active_from = {start_ms - 86_400_000}")
    per_client = max(1, args.entries // max(1, len(engagements)))
    cats = [("help-desk", "Help desk", True), ("network", "Network", True), ("projects", "Projects", False),
            ("compliance", "Compliance", False)]
    columns = ["id", "client_id", "ticket_id", "user_id", "side", "role", "started_at", "minutes", "category_key",
               "category_name", "in_scope", "after_hours", "note", "created_at"]
    batch = []
    total = 0
    for (_, client, _) in engagements:
        ts = tickets[client]
        for _ in range(per_client):
            key, name, scope = cats[rnd.randrange(len(cats))]
            at = start_ms + rnd.randrange(span_ms)
            batch.append(
                (uuid.uuid4().hex, client, ts[rnd.randrange(len(ts))], dev, "provider", "provider_engineer", at,
                 15 * rnd.randint(1, 16), key, name, scope, rnd.random() < 0.2, "bench", now)
            )
            total += 1
            if len(batch) >= 50_000:
                db.insert("time_entries", columns, batch)
                batch.clear()
    db.insert("time_entries", columns, batch)
    db.commit()
    print(f"{len(engagements)} active agreements, {total} time entries in {args.period} "
          f"({per_client} per client), written in {time.monotonic() - started:.1f}s")


if __name__ == "__main__":
    main()
