#!/usr/bin/env python3
"""The invoice run's data set (issue 15): an active agreement on every
engagement of a database `tandem bench-seed` made, and time entries spread
over those clients' tickets in one month; then time `tandem invoice run`.

    target/release/tandem bench-seed --clients 1000 --tickets 100000   # with TANDEM_DATABASE_URL=sqlite://...
    python3 benches/invoice_run.py /tmp/inv/bench.db --entries 1000000 --period 2026-11
    TANDEM_DATABASE_URL=sqlite:///tmp/inv/bench.db target/release/tandem invoice run --period 2026-11

SQLite only (the generator writes rows directly). Each agreement is a
hybrid that exercises every query of a run: per user (active requester
accounts), per device (counted day by day), excluded work at its own rate,
after-hours work, and a credit for every priority. Entries are the bench
engineer's, in scope or not, some after hours.
"""

from __future__ import annotations

import argparse
import calendar
import datetime as dt
import json
import random
import sqlite3
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

    db = sqlite3.connect(args.db)
    rnd = random.Random(15)
    started = time.monotonic()
    engagements = db.execute(
        "SELECT id, client_id, provider_id FROM engagements WHERE status = 'active'"
    ).fetchall()
    dev = db.execute("SELECT id FROM users WHERE email = 'dev.ramanathan@harborlane.example'").fetchone()[0]
    admin = db.execute("SELECT id FROM users WHERE role = 'provider_admin' ORDER BY created_at LIMIT 1").fetchone()[0]
    tickets: dict[str, list[str]] = {}
    for client, ticket in db.execute(
        "SELECT client_id, id FROM (SELECT client_id, id, ROW_NUMBER() OVER (PARTITION BY client_id ORDER BY id) AS n "
        "FROM tickets) WHERE n <= 50"
    ):
        tickets.setdefault(client, []).append(ticket)
    engagements = [e for e in engagements if e[1] in tickets]
    now = int(time.time() * 1000)
    db.execute("DELETE FROM agreements WHERE status = 'active'")
    db.executemany(
        "INSERT INTO agreements (id, engagement_id, client_id, provider_id, status, terms, version, created_at, "
        "created_by, proposed_at, proposed_by, decided_at, decided_by) VALUES (?, ?, ?, ?, 'active', ?, 3, ?, ?, ?, ?, ?, ?)",
        [
            (str(uuid.uuid4()), e, c, p, json.dumps(TERMS), now, admin, now, admin, now, admin)
            for (e, c, p) in engagements
        ],
    )
    per_client = max(1, args.entries // max(1, len(engagements)))
    cats = [("help-desk", "Help desk", 1), ("network", "Network", 1), ("projects", "Projects", 0), ("compliance", "Compliance", 0)]
    batch = []
    total = 0

    def flush() -> None:
        db.executemany(
            "INSERT INTO time_entries (id, client_id, ticket_id, user_id, side, role, started_at, minutes, category_key, "
            "category_name, in_scope, after_hours, note, invoice_id, corrects, created_at) "
            "VALUES (?, ?, ?, ?, 'provider', 'provider_engineer', ?, ?, ?, ?, ?, ?, 'bench', NULL, NULL, ?)",
            batch,
        )
        batch.clear()

    for (_, client, _) in engagements:
        ts = tickets[client]
        for _ in range(per_client):
            key, name, scope = cats[rnd.randrange(len(cats))]
            at = start_ms + rnd.randrange(span_ms)
            batch.append(
                (uuid.uuid4().hex, client, ts[rnd.randrange(len(ts))], dev, at, 15 * rnd.randint(1, 16),
                 key, name, scope, int(rnd.random() < 0.2), now)
            )
            total += 1
            if len(batch) >= 50_000:
                flush()
    flush()
    db.commit()
    print(f"{len(engagements)} active agreements, {total} time entries in {args.period} "
          f"({per_client} per client), written in {time.monotonic() - started:.1f}s")


if __name__ == "__main__":
    main()
