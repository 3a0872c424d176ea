"""Moderation figures: sign-in cost with argon2, refusals timed per kind of address, attempts an
attacker gets, the queue at 5,000 pending.

Run: .venv/bin/python -m bench.moderate [--database-url postgresql://postgres@127.0.0.1:5432/test]

In-process (Flask test client), because these are costs per request, not throughput. The attack
figures are derived from the configured policy and then checked by actually hammering one account
and one client address until they are refused.
"""

import argparse
import tempfile
import time
from pathlib import Path

from sqlalchemy import event

from flask_migrate import upgrade

from bench.lib.databases import PostgresBackend, SQLiteBackend, seed_pending
from bench.lib.forms import PASSWORD, input_values
from bench.lib.stats import median_ms
from refusal_site import create_app, moderators
from refusal_site.extensions import db
from refusal_site.storage import dispose_engines



def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="PostgreSQL server to create a temporary database on")
    parser.add_argument("--pending", type=int, default=5000)
    parser.add_argument("--requests", type=int, default=60)
    parser.add_argument("--refusals", type=int, default=40, help="rounds of the refusal timing (one of each kind a round)")
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="refusal-bench-moderate-"))
    databases = PostgresBackend(args.database_url) if args.database_url else SQLiteBackend(folder)
    url = databases.create("moderate")
    backend = "PostgreSQL" if args.database_url else "SQLite"
    app = create_app({"DATABASE_URL": url, "INSTANCE_PATH": str(folder), "SIGN_IN_RATE_LIMIT": "1000 per minute"})
    try:
        with app.app_context():
            upgrade()
            moderators.create("bench@team.example", PASSWORD)
            moderators.create("locked@team.example", PASSWORD)
            # A fresh account a round, so that "wrong password" is never a locked account.
            for i in range(args.refusals):
                moderators.create(f"real{i}@team.example", PASSWORD)
            seed_pending(args.pending)
            password_hash = moderators.by_email("bench@team.example").password_hash
            engine = db.engine

        def signed_in_client():
            client = app.test_client()
            fields = input_values(client.get("/moderate/sign-in").get_data(as_text=True))
            started = time.perf_counter()
            response = client.post("/moderate/sign-in", data={**fields, "email": "bench@team.example", "password": PASSWORD})
            elapsed = time.perf_counter() - started
            assert response.status_code == 302, response.status_code
            return client, elapsed

        # Sign-in cost: the whole POST (argon2 verify dominates), and argon2 alone.
        signin = [signed_in_client()[1] for _ in range(15)]
        verify = []
        for _ in range(15):
            started = time.perf_counter()
            moderators._password_matches(password_hash, PASSWORD)
            verify.append(time.perf_counter() - started)

        # Refusals, interleaved round by round so that the machine's load moves every kind alike: an
        # unknown address, a real locked account, a real account with a wrong password. The answer must
        # not tell them apart, nor its time.
        refuser = app.test_client()
        fields = input_values(refuser.get("/moderate/sign-in").get_data(as_text=True))

        def refused(email: str) -> float:
            started = time.perf_counter()
            response = refuser.post("/moderate/sign-in", data={**fields, "email": email, "password": "wrong guess 123"})
            elapsed = time.perf_counter() - started
            assert response.status_code == 400, response.status_code
            return elapsed

        for _ in range(moderators.MAX_FAILURES):
            refused("locked@team.example")
        refusals: dict[str, list[float]] = {"unknown address": [], "real, locked": [], "real, wrong password": []}
        for i in range(args.refusals):
            refusals["unknown address"].append(refused(f"nobody{i}@team.example"))
            refusals["real, locked"].append(refused("locked@team.example"))
            refusals["real, wrong password"].append(refused(f"real{i}@team.example"))

        # The queue: median time and SELECTs per page at two page sizes.
        client, _ = signed_in_client()
        queue = {}
        for per_page in (20, 100):
            app.config["QUEUE_PER_PAGE"] = per_page
            statements: list[str] = []

            def count(conn, cursor, statement, *a):
                statements.append(statement)

            event.listen(engine, "before_cursor_execute", count)
            assert client.get("/moderate/").status_code == 200
            event.remove(engine, "before_cursor_execute", count)
            selects = sum(1 for s in statements if s.lstrip().upper().startswith("SELECT"))
            times = []
            for _ in range(args.requests):
                started = time.perf_counter()
                assert client.get("/moderate/?page=2").status_code == 200
                times.append(time.perf_counter() - started)
            queue[per_page] = (median_ms(times), selects)

        # Attackers: hammer one account until it locks.
        attacker = app.test_client()
        tries_until_locked = 0
        for tries_until_locked in range(1, 50):
            fields = input_values(attacker.get("/moderate/sign-in").get_data(as_text=True))
            attacker.post("/moderate/sign-in", data={**fields, "email": "bench@team.example", "password": "wrong guess 123"})
            with app.app_context():  # the page does not say (it answers every address alike): ask the database
                if moderators.by_email("bench@team.example").locked_until is not None:
                    break
        limit = app.config["SIGN_IN_RATE_LIMIT"]
    finally:
        dispose_engines(app)
        databases.cleanup()

    from refusal_site.config import Config

    per_account_hour = moderators.MAX_FAILURES * (3600 // int(moderators.LOCKOUT.total_seconds()))
    per_address_hour = int(Config.SIGN_IN_RATE_LIMIT.split(";")[1].split()[0])
    print(f"# Moderation benchmark ({backend}, {args.pending:,} pending letters)\n")
    print("| figure | value |\n|---|---|")
    print(f"| sign-in POST, median of 15 (argon2id verify included) | {median_ms(signin):.0f} ms |")
    print(f"| argon2id verify alone, median of 15 | {median_ms(verify):.0f} ms |")
    unknown = median_ms(refusals["unknown address"])
    for kind, samples in refusals.items():
        print(f"| refused sign-in, {kind}, median of {args.refusals} interleaved | {median_ms(samples):.0f} ms ({median_ms(samples) / unknown:.2f}x unknown) |")
    print(f"| wrong passwords before the account locks (measured) | {tries_until_locked} |")
    print(f"| failed attempts per hour per account (lockout {moderators.MAX_FAILURES} per {moderators.LOCKOUT}) | {per_account_hour} |")
    print(f"| failed attempts per hour per client address (limit `{Config.SIGN_IN_RATE_LIMIT}`) | {per_address_hour} |")
    for per_page, (ms, selects) in queue.items():
        print(f"| queue page 2 at {per_page} letters per page, median of {args.requests} | {ms:.1f} ms, {selects} SELECTs |")
    print(f"\n(bench limit during the run: {limit}; machine: {time.strftime('%Y-%m-%d')}, nproc 2)")


if __name__ == "__main__":
    main()
