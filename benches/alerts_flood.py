#!/usr/bin/env python3
"""50,000 alerts across 20 clients, then count them in the database.

    python3 benches/alerts_flood.py BIN SEED_DIR [--alerts 50000] [--clients 20] [--senders 8]

SEED_DIR holds bench.db and clients.txt as `benches/http/run.sh` leaves
them. Serves a fresh copy of bench.db (or, with TANDEM_DATABASE_URL set to
a postgres:// URL, that database), makes one Alertmanager source on each of
the first N bench clients (made by each client's admin through the API),
and sends Alertmanager payloads of 10 alerts from several senders at once,
each distinct alert firing, a third of them fired again and a fifth
resolved later, as a site going down would. A 429 waits for its
Retry-After and is sent again, as Alertmanager retries; any 5xx is counted
and fails the run.

Then it reads the database: every alert sent is stored exactly once on its
own client, in the state last sent, with its ticket written. Prints the
time taken, the answers by status and the tickets the flood opened (flood
control folds most of them into one alert storm ticket per source).
"""

import argparse
import json
import os
import random
import shutil
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import Counter


def post(url, body, key):
    req = urllib.request.Request(url, data=body, method="POST")
    req.add_header("Content-Type", "application/json")
    req.add_header("Authorization", f"Bearer {key}")
    try:
        with urllib.request.urlopen(req, timeout=30) as res:
            return res.status, res.headers
    except urllib.error.HTTPError as e:
        e.read()
        return e.code, e.headers


def payload(alerts):
    return json.dumps({
        "version": "4", "groupKey": "{}:{alertname=\"flood\"}", "truncatedAlerts": 0, "status": "firing",
        "receiver": "tandem", "groupLabels": {"alertname": "flood"}, "commonLabels": {},
        "commonAnnotations": {}, "externalURL": "http://alertmanager.bench:9093", "alerts": alerts,
    }).encode()


def alert(fingerprint, status):
    host = f"site-{int(fingerprint[-4:], 16) % 300}"
    return {
        "status": status,
        "labels": {"alertname": "HostDown", "instance": host, "severity": "critical"},
        "annotations": {"summary": f"{host} does not answer"},
        "startsAt": "2026-12-06T02:00:00Z",
        "endsAt": "2026-12-06T02:30:00Z" if status == "resolved" else "0001-01-01T00:00:00Z",
        "generatorURL": "http://prometheus.bench/graph", "fingerprint": fingerprint,
    }


def main():
    p = argparse.ArgumentParser()
    p.add_argument("binary")
    p.add_argument("seed")
    p.add_argument("--alerts", type=int, default=50000)
    p.add_argument("--clients", type=int, default=20)
    p.add_argument("--senders", type=int, default=8)
    p.add_argument("--port", type=int, default=18083)
    args = p.parse_args()
    work = os.environ.get("WORK", "/tmp/tandem-flood")
    os.makedirs(work, exist_ok=True)
    env = dict(os.environ, TANDEM_BIND=f"127.0.0.1:{args.port}", TANDEM_LOG="warn")
    db_path = None
    if not env.get("TANDEM_DATABASE_URL", "").startswith("postgres"):
        db_path = os.path.join(work, "flood.db")
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(db_path + suffix):
                os.remove(db_path + suffix)
        shutil.copy(os.path.join(args.seed, "bench.db"), db_path)
        env["TANDEM_DATABASE_URL"] = f"sqlite://{db_path}"
    base = f"http://127.0.0.1:{args.port}"
    log = open(os.path.join(work, "server.log"), "wb")
    server = subprocess.Popen([args.binary, "serve"], stdout=log, stderr=log, env=env)
    try:
        for _ in range(240):
            try:
                with urllib.request.urlopen(f"{base}/readyz", timeout=2):
                    break
            except (urllib.error.URLError, OSError):
                time.sleep(0.5)
        clients = [line.split()[0] for line in open(os.path.join(args.seed, "clients.txt"))][: args.clients]
        sources = []  # (client id, source id, key)
        for i, client in enumerate(clients):
            token = subprocess.run(
                [args.binary, "token", "create", "--user", f"admin@bench-{i:03d}.example", "--name", "flood"],
                env=env, check=True, capture_output=True, text=True,
            ).stdout.strip()
            req = urllib.request.Request(
                f"{base}/api/v1/clients/{client}/alert-sources",
                data=json.dumps({"name": "Flood Alertmanager", "kind": "alertmanager",
                                 "default_category": "network", "group_alerts": False}).encode(),
                method="POST",
            )
            req.add_header("Content-Type", "application/json")
            req.add_header("Authorization", f"Bearer {token}")
            with urllib.request.urlopen(req, timeout=30) as res:
                made = json.loads(res.read())
            sources.append((client, made["source"]["id"], made["key"]))

        # The plan: per source, payloads of 10, each alert firing first;
        # some fired again and some resolved in later payloads.
        rng = random.Random(16)
        per_source = args.alerts // len(sources)
        plans = []
        final = {}  # (source id, fingerprint) -> last status sent
        for s, (_, source_id, key) in enumerate(sources):
            fresh = [f"{s:04x}{n:012x}" for n in range(per_source)]
            events = [(f, "firing") for f in fresh]
            events += [(f, "firing") for f in rng.sample(fresh, per_source // 3)]
            resolved = rng.sample(fresh, per_source // 5)
            events += [(f, "resolved") for f in resolved]
            for f in fresh:
                final[(source_id, f)] = "firing"
            for f in resolved:
                final[(source_id, f)] = "resolved"
            # Firing first, then repeats and resolutions, in payloads of 10.
            for i in range(0, len(events), 10):
                plans.append((key, [alert(f, st) for f, st in events[i:i + 10]]))
        by_key = {}
        for key, alerts in plans:
            by_key.setdefault(key, []).append(alerts)
        queues = list(by_key.items())
        answers = Counter()
        lock = threading.Lock()

        def sender(my_queues):
            for key, payloads in my_queues:
                for alerts in payloads:
                    body = payload(alerts)
                    while True:
                        status, headers = post(f"{base}/api/v1/intake/alertmanager", body, key)
                        with lock:
                            answers[status] += 1
                        if status == 429:
                            time.sleep(float(headers.get("Retry-After", "1")))
                            continue
                        break

        # Each source's payloads stay with one sender, in order, as one
        # Alertmanager sends one group's notifications one after another.
        shares = [queues[i:: args.senders] for i in range(args.senders)]
        started = time.monotonic()
        threads = [threading.Thread(target=sender, args=(share,)) for share in shares]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        took = time.monotonic() - started
        sent_alerts = sum(len(a) for _, a in plans)
    finally:
        server.terminate()
        server.wait(timeout=30)

    ids = tuple(s for _, s, _ in sources)
    marks = ",".join("?" * len(ids))
    if db_path:
        db = sqlite3.connect(db_path)
        rows = db.execute(
            f"SELECT a.source_id, a.dedup_key, a.status, a.ticket_opened, a.client_id, t.client_id "
            f"FROM alerts a LEFT JOIN tickets t ON t.id = a.ticket_id WHERE a.source_id IN ({marks})", ids,
        ).fetchall()
        tickets = db.execute(
            f"SELECT COUNT(DISTINCT ticket_id) FROM alerts WHERE source_id IN ({marks})", ids,
        ).fetchone()[0]
    else:
        quoted = ",".join(f"'{s}'" for s in ids)
        out = subprocess.run(
            ["psql", "-X", "-At", "-F", "\t", env["TANDEM_DATABASE_URL"], "-c",
             f"SELECT a.source_id, a.dedup_key, a.status, a.ticket_opened, a.client_id, t.client_id "
             f"FROM alerts a LEFT JOIN tickets t ON t.id = a.ticket_id WHERE a.source_id IN ({quoted})"],
            check=True, capture_output=True, text=True,
        ).stdout
        rows = [tuple(line.split("\t")) for line in out.splitlines() if line]
        rows = [(a, b, c, d == "t", e, f or None) for a, b, c, d, e, f in rows]
        tickets = int(subprocess.run(
            ["psql", "-X", "-At", env["TANDEM_DATABASE_URL"], "-c",
             f"SELECT COUNT(DISTINCT ticket_id) FROM alerts WHERE source_id IN ({quoted})"],
            check=True, capture_output=True, text=True,
        ).stdout.strip())
    stored = Counter((r[0], r[1]) for r in rows)
    doubled = [k for k, n in stored.items() if n > 1]
    missing = [k for k in final if k not in stored]
    extra = [k for k in stored if k not in final]
    wrong_state = [(r[0], r[1]) for r in rows if final.get((r[0], r[1])) not in (None, r[2])]
    unwritten = [(r[0], r[1]) for r in rows if not r[3] or r[5] is None]
    elsewhere = [(r[0], r[1]) for r in rows if r[5] is not None and str(r[4]) != str(r[5])]
    five = sum(n for s, n in answers.items() if s >= 500)
    print(f"{sent_alerts} alerts ({len(final)} distinct) in {len(plans)} payloads to {len(sources)} clients "
          f"in {took:.1f} s ({sent_alerts / took:.0f} alerts/s); answers {dict(answers)}")
    print(f"stored {len(stored)} alerts on {tickets} tickets; doubled {len(doubled)}, missing {len(missing)}, "
          f"unexpected {len(extra)}, wrong state {len(wrong_state)}, ticket unwritten {len(unwritten)}, "
          f"on another client {len(elsewhere)}")
    failed = five or doubled or missing or extra or wrong_state or unwritten or elsewhere or took > 300
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
