#!/usr/bin/env python3
"""What SQLite alone does with the crosscheck worker's statements, no Swift and no Kafka.

  sqlite_floor.py STATE_DB EVENTS PERSONS

STATE_DB is a store the crosscheck worker wrote (its schema, average state and alert payload
sizes and alerts per event are taken from it). A fresh database with that schema gets EVENTS events
over PERSONS persons, one person per event as in the benchmark (each batch of 2,500 persons read
with the worker's `json_each` query on a second connection, then upserted; as many alert upserts
and outbox rows as the real run had per event; the outbox emptied after each commit), in WAL mode
with `synchronous = NORMAL` and the worker's 64 MiB writer cache. One writer, as in the worker.
Prints `BENCH crosscheck.sqlite.floor_events_per_s V events/s`: an upper bound for the worker on
this machine and this SQLite, against which `crosscheck.sqlite.events_per_s` can be read.
"""
import hashlib, json, os, sqlite3, sys, tempfile, time


def main():
    source, events, persons = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    schema = [row[0] for row in src.execute(
        "SELECT sql FROM sqlite_master WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%' ORDER BY type = 'table' DESC, rowid")]
    state_bytes = int(src.execute("SELECT avg(length(state)) FROM persons").fetchone()[0] or 900)
    payload_bytes = int(src.execute("SELECT avg(length(payload)) FROM alerts").fetchone()[0] or 800)
    alert_rows = src.execute("SELECT count(*) FROM alerts").fetchone()[0]
    src.close()
    # Messages per event in the real run: each alert was raised once and closed once (2 per alert row).
    alerts_per_event = min(1.0, 2 * alert_rows / max(1, events))

    work = tempfile.mkdtemp(prefix="xiecha-sqlite-floor.")
    path = os.path.join(work, "floor.sqlite")
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA synchronous = NORMAL")
    db.execute("PRAGMA cache_size = -65536")
    for sql in schema:
        db.execute(sql)
    reader = sqlite3.connect(path, isolation_level=None)

    keys = [hashlib.sha256(b"p%d" % i).hexdigest() for i in range(persons)]
    state, payload = os.urandom(state_bytes), os.urandom(payload_bytes)
    batch_size = 2_500
    started = time.monotonic()
    done = 0
    while done < events:
        batch = [(done + j) % persons for j in range(min(batch_size, events - done))]
        reader.execute("SELECT p.key, p.state, p.next_deadline_ms FROM json_each(?) AS j JOIN persons AS p ON p.key = j.value",
                       (json.dumps([keys[i] for i in batch]),)).fetchall()
        db.execute("BEGIN")
        for i in batch:
            if db.execute("UPDATE persons SET state = ?2 WHERE key = ?1 AND next_deadline_ms IS ?3", (keys[i], state, None)).rowcount == 0:
                db.execute("INSERT INTO persons (key, state, next_deadline_ms) VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE SET "
                           "state = excluded.state, next_deadline_ms = excluded.next_deadline_ms", (keys[i], state, None))
        for i in batch[: int(len(batch) * alerts_per_event)]:
            args = (keys[i][:32], keys[i], "421125001%03d" % (i % 240), "open", payload)
            if db.execute("UPDATE alerts SET status = ?4, payload = ?5 WHERE alert_id = ?1 AND person_key = ?2 AND routing_key = ?3",
                          args).rowcount == 0:
                db.execute("INSERT INTO alerts (alert_id, person_key, routing_key, status, payload) VALUES (?, ?, ?, ?, ?)", args)
            db.execute("INSERT INTO outbox (topic, key, payload) VALUES (?, ?, ?)", ("xiecha.alerts.v1", args[2], payload))
        db.execute("COMMIT")
        db.execute("DELETE FROM outbox")
        done += len(batch)
    rate = events / (time.monotonic() - started)
    db.close()
    reader.close()
    for name in os.listdir(work):
        os.remove(os.path.join(work, name))
    os.rmdir(work)
    print(f"BENCH crosscheck.sqlite.floor_events_per_s {rate:.0f} events/s")


if __name__ == "__main__":
    main()
