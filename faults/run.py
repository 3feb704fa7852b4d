"""`make test-faults`: the portal as deployed, under a bounded load, through three faults (issue
25, part 7); prints what it counted and exits 1 on a failed check.

    .venv/bin/python -m faults.run [--visibility-timeout 240] [--keep]

1. A worker killed with SIGKILL in the middle of applying a payment's notification (the
   run holds the payment's row lock until the task waits for it, then kills the worker and
   its pool processes; a new worker starts at once, as `restart: unless-stopped` does). The
   killed task must run again within the visibility timeout and a worker's sweep.
2. Redis restarted without persistence: the worker is held (SIGSTOP) for a few seconds so
   that the broker has tasks queued, then Redis is killed and started empty.
3. PostgreSQL restarted (pg_ctl's fast stop: every session ended).

After each: every payment applied exactly once (the portal's status is the sandbox's, and one
receipt per paid payment), every queued message sent within MESSAGE_BOUND of the broker and a
worker with beat being back, signed-in pages answering 200 with no manual step, and no 5xx but
for the requests in flight while the service was down. docs/operations.md has the figures.
"""

import argparse
import concurrent.futures
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from email import message_from_bytes, policy

import psycopg
import redis

from .load import CONSUMERS, Load, Person
from .stack import BIN, ROOT, Stack

MESSAGE_BOUND = 120.0  # seconds: issue 25's bound for every queued message to be sent
PAYMENT_BOUND = 120.0
SETTLE = 15.0  # a message or a payment younger than this is still on its ordinary way


class Run:
    def __init__(self, args):
        self.stack = Stack(visibility_timeout=args.visibility_timeout, keep=args.keep)
        self.failures = []
        self.figures = []
        # Messages and payments a check has already failed on: reported once, not waited for again.
        self.lost_messages, self.lost_payments = set(), set()
        self.t0 = time.monotonic()

    def say(self, text):
        print(f"[{time.monotonic() - self.t0:6.1f} s] {text}", flush=True)

    def check(self, ok, text):
        self.say(("ok    " if ok else "FAILED ") + text)
        if not ok:
            self.failures.append(text)

    # The database and the broker, read directly.

    def sql(self, query, *params):
        for attempt in range(30):
            try:
                with psycopg.connect(self.stack.env["DATABASE_URL"], connect_timeout=2) as connection:
                    return connection.execute(query, params).fetchall()
            except psycopg.OperationalError:
                time.sleep(0.5)
        raise RuntimeError("PostgreSQL does not answer")

    def broker(self):
        return redis.Redis(port=self.stack.redis_port, db=1, socket_timeout=2)

    # Setup.

    def setup(self):
        stack = self.stack
        self.say(f"PostgreSQL :{stack.pg_port}, Redis :{stack.redis_port}, gunicorn :{stack.web_port} in {stack.dir}")
        stack.postgres_init()
        stack.redis_start()
        with concurrent.futures.ThreadPoolExecutor(2) as pool:
            static = pool.submit(stack.manage, "collectstatic", "--noinput")
            stack.manage("migrate", "--noinput")
            stack.manage("seed_demo", "--allow-production", "--port", str(stack.web_port))
            static.result()
        stack.web_start()
        stack.worker_start()
        stack.beat_start()
        self.wait_worker_ready()
        visibility = self.setting("BROKER_VISIBILITY_TIMEOUT")
        self.visibility = visibility
        self.say(f"stack up (DEBUG=false, gunicorn 2 sync workers, worker with 2 pool processes, beat); "
                 f"visibility timeout {visibility} s")

    def setting(self, name):
        """A setting as the portal's processes read it (from this run's environment)."""
        return json.loads(subprocess.run(
            [str(BIN / "python"), "-c", f"import json, django; django.setup(); from django.conf import settings; "
                                        f"print(json.dumps(settings.{name}))"],
            cwd=ROOT, env={**self.stack.env, "DJANGO_SETTINGS_MODULE": "portal.settings"}, capture_output=True,
            text=True, check=True).stdout)

    def wait_worker_ready(self, since=0, timeout=60):
        deadline = time.monotonic() + timeout
        path = self.stack.log_path("worker")
        while time.monotonic() < deadline:
            if b" ready." in path.read_bytes()[since:]:
                return time.monotonic()
            time.sleep(0.2)
        raise RuntimeError("the worker did not get ready")

    # Counting.

    @staticmethod
    def requests_5xx(requests, down, back, *, window):
        """The 5xx answers (or none at all) among ``requests``, and those beyond what the fault
        excuses: the requests in flight at its moment ``down``, or with ``window`` every request
        in flight while the service was down (PostgreSQL: no page can be served without it)."""
        bad = [request for request in requests if request.status >= 500 or request.status == 0]
        if window:
            beyond = [request for request in bad if request.end < down or request.start > back]
        else:
            beyond = [request for request in bad if not request.start <= down <= request.end]
        return bad, beyond

    def unsent(self, before):
        """Messages created before ``before`` (a moment of this clock) and not sent."""
        age = time.monotonic() - before
        return {row[0] for row in self.sql(
            "SELECT id FROM portal_outgoingmessage WHERE status <> 'sent' "
            "AND created_at < now() - make_interval(secs => %s)", age)} - self.lost_messages

    def unapplied(self, before):
        """Payments sent to the sandbox before ``before`` whose portal status is not the sandbox's
        (a payment the payer left on the sandbox's page is pending on both sides)."""
        age = time.monotonic() - before
        return {row[0] for row in self.sql(
            "SELECT p.public_id::text FROM payments_payment p "
            "JOIN payments_sandboxpayment s ON s.id::text = p.provider_payment_id "
            "WHERE p.status <> s.status AND s.created_at < now() - make_interval(secs => %s)", age)} - self.lost_payments

    def wait_until_done(self, back, label):
        """Seconds from ``back`` until every message queued before it is sent and every payment
        made before it applied (None if that takes longer than the bounds); then, that nothing
        older than SETTLE is left either."""
        deadline = back + max(MESSAGE_BOUND, PAYMENT_BOUND)
        messages, payments = self.unsent(back), self.unapplied(back)
        done = None
        while True:
            messages &= self.unsent(back)
            payments &= self.unapplied(back)
            if not messages and not payments and done is None:
                done = time.monotonic() - back
            if done is not None and time.monotonic() >= back + SETTLE:
                later = time.monotonic() - SETTLE
                messages, payments = self.unsent(later), self.unapplied(later)
                if not messages and not payments:
                    return done
            if time.monotonic() > deadline:
                self.check(False, f"{label}: {len(messages)} messages unsent, {len(payments)} payments not applied "
                                  f"{MESSAGE_BOUND:.0f} s after it was back: {sorted(messages)[:5]} {sorted(payments)[:5]}")
                self.lost_messages |= messages
                self.lost_payments |= payments
                return None
            time.sleep(1)

    def phase(self, label, fault, *, window=False):
        """Run ``fault`` (which returns the moments the service went and came back) under the
        load and count what the people saw."""
        self.say(f"--- {label}")
        before = len(self.load.requests())
        start = time.monotonic()
        down, back, extra = fault()
        # After a worker kill, fault() has waited for the killed tasks (their bound is the
        # visibility timeout, checked there): what they were doing counts from the new worker.
        done = self.wait_until_done(back, label)
        time.sleep(3)  # signed-in pages after the recovery
        requests = [request for request in self.load.requests() if request.start >= start or request.end >= start]
        bad, beyond = self.requests_5xx(requests, down, back, window=window)
        after = [request for request in requests if request.start > back + 1 and request.what == "overview"]
        excused = "while it was down" if window else "at its moment"
        kinds = Counter(request.what for request in beyond)
        self.check(not beyond, f"{label}: {len(bad)} 5xx, {len(beyond)} of them beyond the requests in flight "
                               f"{excused} (down {back - down:.1f} s){': ' + str(dict(kinds)) if kinds else ''}")
        self.check(after and all(request.status == 200 for request in after),
                   f"{label}: signed-in page after it: {sum(r.status == 200 for r in after)}/{len(after)} answered 200")
        self.figures.append({"fault": label, "requests": len(requests), "5xx": len(bad), "beyond": len(beyond),
                             "down_s": round(back - down, 1), "done_s": None if done is None else round(done, 1),
                             **extra})
        self.say(f"{label}: {len(requests)} requests ({len(self.load.requests()) - before} new), "
                 f"everything sent and applied {'—' if done is None else f'{done:.1f} s'} after it was back")

    # The faults.

    def kill_worker_mid_task(self):
        """Hold a fresh payment's row lock, let the sandbox notify, kill the worker once its
        task waits for the lock; a new worker starts at once."""
        victim = self.extra_person()
        sandbox_path = victim.payment_start("123.45")
        if sandbox_path is None:
            raise RuntimeError("the payment for the worker kill could not be started")
        public_id = victim.payments[-1]
        lock = psycopg.connect(self.stack.env["DATABASE_URL"])
        lock.execute("SELECT 1 FROM payments_payment WHERE public_id = %s FOR UPDATE", (public_id,))
        lock_pid = lock.info.backend_pid
        victim.form(sandbox_path, "sandbox", {"outcome": "success"})
        deadline = time.monotonic() + 30
        while not self.sql("SELECT 1 FROM pg_stat_activity WHERE %s = ANY(pg_blocking_pids(pid))", lock_pid):
            if time.monotonic() > deadline:
                raise RuntimeError("no task came to apply the payment")
            time.sleep(0.1)
        unacked = [json.loads(value)[0]["headers"] for value in self.broker().hvals("unacked")]
        killed = {headers["id"]: headers["task"] for headers in unacked}
        log_size = self.stack.log_path("worker").stat().st_size
        down = time.monotonic()
        self.stack.worker_kill()
        lock.rollback()
        lock.close()
        self.stack.worker_start()
        back = self.wait_worker_ready(since=log_size)
        self.say(f"worker killed with {len(killed)} tasks unacknowledged: "
                 f"{sorted(set(killed.values()))}; a new worker ready {back - down:.1f} s later")
        # The killed worker's tasks run again once the visibility timeout has passed.
        bound = self.visibility + self.visibility / 8 + 10
        rerun = {}
        while len(rerun) < len(killed) and time.monotonic() - down < bound:
            lines = self.stack.log_path("worker").read_bytes()[log_size:].decode(errors="replace").splitlines()
            for task_id in killed:
                if task_id not in rerun and any(f"[{task_id}]" in line and ("succeeded" in line or "retry" in line)
                                                for line in lines):
                    rerun[task_id] = time.monotonic() - down
            time.sleep(0.5)
        applier = [task_id for task_id, name in killed.items() if name.endswith("apply_payment_event")]
        self.check(all(task_id in rerun for task_id in killed),
                   f"worker kill: {len(rerun)}/{len(killed)} of the killed worker's tasks ran again "
                   f"(the one applying the payment after {rerun.get(applier[0], float('nan')) if applier else 0:.1f} s; "
                   f"bound {bound:.0f} s: visibility timeout {self.visibility} s + its sweep)")
        return down, back, {"tasks_killed": len(killed), "rerun_s": round(max(rerun.values(), default=0), 1)}

    def extra_person(self):
        """A person the run drives itself (a second session of a demo consumer), counted too."""
        person = Person(self.load, self.load.people[len(self.load.extra) % len(self.load.people)].slug,
                        pay_every=10**9)
        person.sign_in()
        self.load.extra.append(person)
        return person

    def restart_redis(self):
        """With the worker held, a person pays and waits on the return page, which applies the
        payment (the sandbox's notification task waits in the broker): its receipt is queued
        there too when Redis goes."""
        payer = self.extra_person()
        worker = self.stack.processes["worker"]
        os.killpg(worker.pid, signal.SIGSTOP)  # a worker behind: tasks wait in the broker
        sandbox_path = payer.payment_start("234.56")
        status_path = sandbox_path and payer.sandbox_pay(sandbox_path)
        status = status_path and payer.payment_wait(status_path, 20)
        if status != "succeeded":
            self.check(False, f"Redis restarted: the payment made with the worker held is {status}")
        time.sleep(1)
        queued = self.broker().llen(self.stack.env.get("CELERY_TASK_DEFAULT_QUEUE", "portal"))
        unacked = self.broker().hlen("unacked")
        unsent = self.sql("SELECT count(*) FROM portal_outgoingmessage WHERE status = 'queued'")[0][0]
        down = time.monotonic()
        self.stack.redis_stop()
        # Someone asks for a password reset while Redis is down: the page answers, and the
        # e-mail goes once Redis and the worker are back (wait_until_done counts it).
        forgetful = Person(self.load, "gaz", pay_every=10**9)
        self.load.extra.append(forgetful)
        reset = forgetful.form("/accounts/password/reset/", "reset", {"login": CONSUMERS["gaz"]})
        reset_status = reset.status_code if reset is not None else 0
        self.check(0 < reset_status < 500, f"Redis down: the password reset answered {reset_status}")
        self.check(self.sql('SELECT count(*) FROM portal_outgoingmessage WHERE "to" = %s '
                            "AND created_at > now() - interval '30 seconds'", CONSUMERS["gaz"])[0][0] == 1,
                   "Redis down: the password reset's e-mail is «в очереди»")
        time.sleep(max(0.0, down + 2 - time.monotonic()))
        self.stack.redis_start()
        back = time.monotonic()
        os.killpg(worker.pid, signal.SIGCONT)
        self.say(f"Redis restarted empty ({back - down:.1f} s down): {queued} tasks queued and {unacked} "
                 f"unacknowledged lost with it, {unsent} messages «в очереди» at that moment; a password "
                 f"reset asked meanwhile answered {reset_status}")
        return down, back, {"tasks_lost": queued + unacked, "messages_queued": unsent, "reset_status": reset_status}

    def restart_postgres(self):
        down = time.monotonic()
        self.stack.postgres_restart()
        back = time.monotonic()
        self.say(f"PostgreSQL restarted ({back - down:.1f} s down)")
        return down, back, {}

    # Exactly once.

    def receipts(self):
        """Per provider payment id, how many receipts the outbox holds."""
        counts = {}
        outbox = self.stack.dir / "outbox"
        for path in outbox.rglob("*.eml") if outbox.exists() else ():
            message = message_from_bytes(path.read_bytes(), policy=policy.default)
            if "принята" not in str(message["subject"]):
                continue
            body = message.get_body(("plain",)).get_content()
            for (provider_id,) in self.paid:
                if provider_id in body:
                    counts[provider_id] = counts.get(provider_id, 0) + 1
        return counts

    def check_exactly_once(self):
        rows = self.sql("SELECT p.status, s.status, p.provider_payment_id FROM payments_payment p "
                        "JOIN payments_sandboxpayment s ON s.id::text = p.provider_payment_id")
        self.paid = [(row[2],) for row in rows if row[1] == "succeeded"]
        mismatched = [row for row in rows if row[0] != row[1]]
        receipts = self.receipts()
        twice = {key: count for key, count in receipts.items() if count != 1}
        missing = [provider_id for (provider_id,) in self.paid if provider_id not in receipts]
        messages = self.sql("SELECT status, count(*) FROM portal_outgoingmessage GROUP BY status ORDER BY status")
        self.say(f"payments: {len(rows)} sent to the sandbox, {len(self.paid)} paid there; "
                 f"messages: {dict(messages)}")
        self.check(not mismatched, f"every payment's status is the sandbox's ({len(mismatched)} not: {mismatched[:5]})")
        self.check(not twice and not missing,
                   f"one receipt per paid payment ({len(missing)} without, {len(twice)} with more than one)")
        self.check(all(status == "sent" for status, _count in messages), "every message sent")
        return len(rows), len(self.paid), dict(messages)

    def main(self):
        try:
            self.setup()
            self.load = Load(self.stack.web_port)
            self.load.start()
            time.sleep(8)
            self.phase("worker killed", self.kill_worker_mid_task)
            self.phase("Redis restarted", self.restart_redis)
            self.phase("PostgreSQL restarted", self.restart_postgres, window=True)
            self.load.stop()
            self.wait_until_done(time.monotonic(), "after the load")
            payments, paid, messages = self.check_exactly_once()
            requests = self.load.requests()
            print(json.dumps({"requests": len(requests), "5xx": sum(r.status >= 500 or r.status == 0 for r in requests),
                              "payments": payments, "paid": paid, "messages": messages,
                              "visibility_timeout_s": self.visibility, "faults": self.figures,
                              "seconds": round(time.monotonic() - self.t0)}, ensure_ascii=False, indent=1))
        finally:
            if getattr(self, "load", None):
                self.load.stopping.set()
            self.stack.close()
        if self.failures:
            print(f"{len(self.failures)} checks failed:\n  " + "\n  ".join(self.failures))
            return 1
        print("all checks passed")
        return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--visibility-timeout", type=int, default=None,
                        help="CELERY_VISIBILITY_TIMEOUT for this run (default: the settings' own)")
    parser.add_argument("--keep", action="store_true", help="keep the run's directory (logs, outbox)")
    return Run(parser.parse_args()).main()


if __name__ == "__main__":
    sys.exit(main())
