#!/usr/bin/python3
"""Crash test: entented killed with SIGKILL at random moments while facts stream in.

First, new databases are killed while entented creates and seeds them: the next start
must open each and finish loading the seed graph.

Each cycle starts entented on the same database, checks what the previous cycle left
(every acknowledged fact is readable, every fact of a call that did not return is either
there or not, an Import's facts all or none, and the fact count is exactly what is known
to be stored), streams writes — RecordFacts streams, Import calls of JSON Lines and unary
RecordFact calls, from three threads — and kills the server with SIGKILL at a random
moment. Then `entented --verify` must find the crashed database consistent (records,
indexes, log and counters agree). A fact counts as acknowledged only when its call
returned OK.

    PYTHONPATH=build/python ENTENTED=build/server/entented \\
        /usr/bin/python3 tests/crash_test.py --cycles 20

CTest runs 20 cycles (crash_test); docs/durability.md has the 500-cycle run. Exit status
0 when every cycle passed, 1 at the first failure (with the database kept for a look).
"""

import argparse
import hashlib
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

import grpc
from google.protobuf import json_format

from entente.v1 import admin_service_pb2
from entente.v1 import admin_service_pb2_grpc
from entente.v1 import entity_pb2
from entente.v1 import fact_pb2
from entente.v1 import read_service_pb2
from entente.v1 import read_service_pb2_grpc
from entente.v1 import source_pb2
from entente.v1 import time_pb2
from entente.v1 import write_service_pb2
from entente.v1 import write_service_pb2_grpc

ENTITIES = [f"crash_{c}" for c in "abcdefgh"]
SOURCE = "crash_test"
CALL_TIMEOUT = 30  # seconds; no call of a live server takes near this


class Failure(Exception):
    """A broken promise of the store: the test fails with this message."""


def fact_id(fact):
    """The id the store gives a fact: the SHA-256 of its canonical form (storage/store.cc)."""
    canonical = fact_pb2.Fact()
    canonical.CopyFrom(fact)
    canonical.ClearField("id")
    participants = sorted(canonical.participants, key=lambda p: (p.entity_id, p.role))
    del canonical.participants[:]
    canonical.participants.extend(participants)
    claimants = sorted(canonical.attribution.claimant_ids)
    del canonical.attribution.claimant_ids[:]
    canonical.attribution.claimant_ids.extend(claimants)
    canonical.attribution.SetInParent()  # Canonicalize sets it, empty or not
    digest = hashlib.sha256(canonical.SerializeToString(deterministic=True)).digest()
    return digest[:16].hex()


class Server:
    """One entented process on the test's database."""

    def __init__(self, entented, db, log_path, sync_writes, seeds=False):
        self.log_path = log_path
        args = [entented, "--db", db, "--listen", "127.0.0.1:0", "--drain-seconds", "0"]
        if not seeds:
            args.append("--no-seeds")
        if sync_writes:
            args.append("--sync-writes")
        with open(log_path, "w") as log:
            self.proc = subprocess.Popen(args, stdout=log, stderr=log)
        self.address = self._wait_for_port()
        self.channel = grpc.insecure_channel(self.address)
        self.write = write_service_pb2_grpc.WriteServiceStub(self.channel)
        self.read = read_service_pb2_grpc.ReadServiceStub(self.channel)
        self.admin = admin_service_pb2_grpc.AdminServiceStub(self.channel)

    def _wait_for_port(self, seconds=60):
        give_up = time.monotonic() + seconds
        while time.monotonic() < give_up:
            with open(self.log_path) as log:
                found = re.search(r"listening on (127\.0\.0\.1:\d+)\s", log.read())
            if found:
                return found.group(1)
            if self.proc.poll() is not None:
                break
            time.sleep(0.01)
        self.kill()
        with open(self.log_path) as log:
            raise Failure("entented did not start (the database did not open?):\n" + log.read())

    def kill(self):
        """SIGKILL; the channel stays open for the writers to find the server gone."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def log(self):
        with open(self.log_path) as log:
            return log.read()

    def close(self):
        if hasattr(self, "channel"):
            self.channel.close()

    def stop(self):
        """SIGTERM, a clean shutdown; returns the exit status."""
        self.proc.send_signal(signal.SIGTERM)
        try:
            status = self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.kill()
            status = -1
        self.channel.close()
        return status


SANITIZER_REPORTS = ("WARNING: ThreadSanitizer:", "ERROR: AddressSanitizer:",
                     "ERROR: LeakSanitizer:", "UndefinedBehaviorSanitizer:")


def check_killed(proc, log_path):
    """The test ends servers with SIGKILL; a server that ended otherwise ended on its own —
    a crash, or in a sanitizer build the exit after a report (docs/sanitizers.md) — which
    the writers would have taken for the kill. A report that did not end the server
    (TSAN_OPTIONS without halt_on_error) is in its log."""
    with open(log_path) as log:
        text = log.read()
    if proc.returncode != -signal.SIGKILL:
        raise Failure(f"entented exited with status {proc.returncode} before it was "
                      f"killed:\n{text}")
    if any(report in text for report in SANITIZER_REPORTS):
        raise Failure(f"entented reported a sanitizer error before it was killed:\n{text}")


def check_stopped(server):
    status = server.stop()
    if status != 0:
        raise Failure(f"entented did not stop cleanly (status {status}):\n{server.log()}")


class Ledger:
    """What the test knows about every fact it ever sent."""

    def __init__(self):
        self.lock = threading.Lock()
        self.stored = {}       # id -> Fact: acknowledged, or found after a crash
        self.unknown = []      # (kind, {id: Fact}): calls the kill cut off
        self.acked_now = {}    # id -> Fact acknowledged in the current cycle
        self.absent = 0        # facts of cut-off calls that were not stored
        # Cut-off calls by kind: [all their facts stored, some, none].
        self.outcomes = {kind: [0, 0, 0] for kind in ("RecordFacts", "Import", "RecordFact")}

    def acked(self, facts):
        with self.lock:
            self.stored.update(facts)
            self.acked_now.update(facts)

    def cut_off(self, kind, facts):
        with self.lock:
            self.unknown.append((kind, facts))


class Writers:
    """Three threads writing until the server goes away."""

    def __init__(self, server, ledger, cycle, rng):
        self.server = server
        self.ledger = ledger
        self.cycle = cycle
        self.seed = rng.getrandbits(64)
        self.counter = 0
        self.counter_lock = threading.Lock()
        self.errors = []
        self.calls = {"RecordFacts": 0, "Import": 0, "RecordFact": 0}
        self.threads = [threading.Thread(target=self._run, args=(w,), daemon=True)
                        for w in (self._record_facts, self._import, self._record_fact)]

    def start(self):
        for t in self.threads:
            t.start()

    def join(self):
        for t in self.threads:
            t.join(timeout=CALL_TIMEOUT + 10)
            if t.is_alive():
                raise Failure("a writer did not return after the server was killed")
        if self.errors:
            raise Failure("a writer failed: " + self.errors[0])

    def _facts(self, n, rng):
        facts = {}
        for _ in range(n):
            with self.counter_lock:
                self.counter += 1
                serial = self.counter
            a, b = rng.sample(ENTITIES, 2)
            fact = fact_pb2.Fact(type=fact_pb2.FACT_TYPE_MEETING, summary=(
                f"crash test {self.seed:x} cycle {self.cycle} fact {serial}"))
            fact.participants.add(entity_id=a, role=fact_pb2.PARTICIPANT_ROLE_PARTY)
            fact.participants.add(entity_id=b, role=fact_pb2.PARTICIPANT_ROLE_PARTY)
            fact.valid_time.start.CopyFrom(time_pb2.Date(
                year=rng.randint(1990, 2025), month=rng.randint(1, 12), day=rng.randint(1, 28),
                precision=time_pb2.PRECISION_DAY))
            fact.provenance.source_id = SOURCE
            fact.provenance.locator = f"serial {serial}"
            facts[fact_id(fact)] = fact
        return facts

    def _run(self, write):
        rng = random.Random(self.seed ^ id(write))
        while True:
            try:
                if not write(rng):
                    return
            except Exception as e:  # a bug of the test itself
                self.errors.append(repr(e))
                return

    def _call(self, kind, facts, call):
        """Runs one write call: True when acknowledged, False when the server is gone."""
        try:
            response = call()
        except grpc.RpcError as e:
            if e.code() not in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.CANCELLED,
                                grpc.StatusCode.UNKNOWN, grpc.StatusCode.INTERNAL):
                self.errors.append(f"{kind}: {e.code()}: {e.details()}")
            self.ledger.cut_off(kind, facts)
            return False
        self.calls[kind] += 1
        self.ledger.acked(facts)
        return response

    def _record_facts(self, rng):
        facts = self._facts(rng.randint(10, 120), rng)
        requests = [write_service_pb2.RecordFactsRequest(fact=f, strict=True)
                    for f in facts.values()]
        response = self._call("RecordFacts", facts, lambda: self.server.write.RecordFacts(
            iter(requests), timeout=CALL_TIMEOUT))
        if response is False:
            return False
        if response.created != len(facts) or response.rejected:
            self.errors.append(f"RecordFacts: {response}")
            return False
        return True

    def _import(self, rng):
        facts = self._facts(rng.randint(20, 300), rng)
        text = "".join(json_format.MessageToJson(f, indent=None) + "\n" for f in facts.values())
        data = text.encode()
        cut = rng.randint(1, len(data) - 1)  # chunks end anywhere, mid-line too

        def requests():
            yield write_service_pb2.ImportRequest(header=write_service_pb2.ImportHeader(
                file_name="crash.jsonl", format=write_service_pb2.IMPORT_FORMAT_JSONL,
                source_id=SOURCE, strict=True))
            yield write_service_pb2.ImportRequest(chunk=data[:cut])
            yield write_service_pb2.ImportRequest(chunk=data[cut:])

        response = self._call("Import", facts, lambda: self.server.write.Import(
            requests(), timeout=CALL_TIMEOUT))
        if response is False:
            return False
        if response.facts_created != len(facts) or response.rejected:
            self.errors.append(f"Import: {response}")
            return False
        return True

    def _record_fact(self, rng):
        facts = self._facts(1, rng)
        [(expected_id, fact)] = facts.items()
        response = self._call("RecordFact", facts, lambda: self.server.write.RecordFact(
            write_service_pb2.RecordFactRequest(fact=fact), timeout=CALL_TIMEOUT))
        if response is False:
            return False
        if response.record.fact.id != expected_id:
            self.errors.append(f"RecordFact: the server's id {response.record.fact.id} is not "
                               f"the test's {expected_id} (fact_id() no longer matches the store)")
            return False
        time.sleep(rng.uniform(0, 0.002))
        return True


def get_fact(server, fid):
    """The stored fact, or None when the server says NOT_FOUND."""
    try:
        return server.read.GetFact(read_service_pb2.GetFactRequest(id=fid),
                                   timeout=CALL_TIMEOUT).record.fact
    except grpc.RpcError as e:
        if e.code() == grpc.StatusCode.NOT_FOUND:
            return None
        raise


def same_fact(stored, sent, fid):
    return (stored.id == fid and stored.summary == sent.summary
            and sorted(p.entity_id for p in stored.participants)
            == sorted(p.entity_id for p in sent.participants))


def check_after_crash(server, ledger, rng, sample):
    """The promises about the previous cycle's writes, on the restarted server."""
    for fid, fact in ledger.acked_now.items():
        stored = get_fact(server, fid)
        if stored is None:
            raise Failure(f"acknowledged fact {fid} ({fact.summary}) is lost")
        if not same_fact(stored, fact, fid):
            raise Failure(f"fact {fid} is not what was written: {stored}")
    older = [fid for fid in ledger.stored if fid not in ledger.acked_now]
    for fid in rng.sample(older, min(sample, len(older))):
        if get_fact(server, fid) is None:
            raise Failure(f"fact {fid}, stored in an earlier cycle, is lost")
    for kind, facts in ledger.unknown:
        present = {fid: f for fid, f in facts.items() if get_fact(server, fid) is not None}
        if kind == "Import" and 0 < len(present) < len(facts):
            # The test's imports are far below one run (128 MiB): one atomic ingestion.
            raise Failure(f"an Import cut off by the kill left {len(present)} of its "
                          f"{len(facts)} facts")
        ledger.stored.update(present)
        ledger.absent += len(facts) - len(present)
        outcome = 0 if len(present) == len(facts) else 1 if present else 2
        ledger.outcomes[kind][outcome] += 1
    ledger.unknown = []
    ledger.acked_now = {}
    stats = server.admin.GetStats(admin_service_pb2.GetStatsRequest(), timeout=CALL_TIMEOUT)
    if stats.fact_count != len(ledger.stored):
        raise Failure(f"the server counts {stats.fact_count} facts; the test knows of "
                      f"{len(ledger.stored)} stored")


def verify(entented, db):
    start = time.monotonic()
    run = subprocess.run([entented, "--db", db, "--verify"], capture_output=True, text=True,
                         timeout=600)
    if run.returncode != 0:
        raise Failure(f"entented --verify exited {run.returncode}:\n{run.stdout}{run.stderr}")
    return time.monotonic() - start


def seeding_phase(entented, work, rng, attempts):
    """Kills new servers while they create and seed their database: the next start must
    open it and finish the seed graph, whatever moment the kill hit."""
    log = os.path.join(work, "seeding.log")
    reference = Server(entented, os.path.join(work, "seeded"), log, False, seeds=True)
    want = reference.admin.GetStats(admin_service_pb2.GetStatsRequest(), timeout=CALL_TIMEOUT)
    check_stopped(reference)
    for attempt in range(attempts):
        db = os.path.join(work, f"seeding{attempt}")
        with open(log, "w") as out:
            proc = subprocess.Popen([entented, "--db", db, "--listen", "127.0.0.1:0"],
                                    stdout=out, stderr=out)
        time.sleep(rng.uniform(0, 0.4))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        check_killed(proc, log)
        server = Server(entented, db, log, False, seeds=True)
        got = server.admin.GetStats(admin_service_pb2.GetStatsRequest(), timeout=CALL_TIMEOUT)
        check_stopped(server)
        for field in ("entity_count", "source_count", "fact_count"):
            if getattr(got, field) != getattr(want, field):
                raise Failure(f"killed while seeding, then restarted: {field} is "
                              f"{getattr(got, field)}, a seeded database has {getattr(want, field)}")
        verify(entented, db)
        shutil.rmtree(db, ignore_errors=True)


def setup(server):
    for i, eid in enumerate(ENTITIES):
        server.write.UpsertEntity(write_service_pb2.UpsertEntityRequest(entity=entity_pb2.Entity(
            id=eid, kind=entity_pb2.ENTITY_KIND_ORGANIZATION, name=f"Crash Test {i}")),
            timeout=CALL_TIMEOUT)
    server.write.UpsertSource(write_service_pb2.UpsertSourceRequest(source=source_pb2.Source(
        id=SOURCE, title="Facts written by tests/crash_test.py")), timeout=CALL_TIMEOUT)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cycles", type=int, default=20)
    parser.add_argument("--seed", type=int, default=None, help="default: from the clock")
    parser.add_argument("--max-kill-delay", type=float, default=0.8,
                        help="seconds of writing before the kill, at most (default 0.8)")
    parser.add_argument("--sample", type=int, default=50,
                        help="facts of earlier cycles read back each cycle (default 50)")
    parser.add_argument("--fresh-every", type=int, default=0,
                        help="start a new database every N cycles (default 0: never)")
    parser.add_argument("--seeding-kills", type=int, default=3,
                        help="new databases killed while being created and seeded (default 3)")
    parser.add_argument("--dir", default=None, help="work directory (default: a temporary one)")
    args = parser.parse_args()
    entented = os.environ.get("ENTENTED")
    if not entented:
        sys.exit("crash_test: set ENTENTED to the entented binary")
    seed = args.seed if args.seed is not None else int(time.time() * 1000) % (1 << 31)
    rng = random.Random(seed)
    work = args.dir or tempfile.mkdtemp(prefix="entente_crash_")
    print(f"crash_test: seed {seed}, {args.cycles} cycles, work directory {work}", flush=True)

    started = time.monotonic()
    totals = {"RecordFacts": 0, "Import": 0, "RecordFact": 0}
    ledger = None
    server = None
    db = None
    cycle = "seeding"
    try:
        seeding_phase(entented, work, rng, args.seeding_kills)
        print(f"seeding: {args.seeding_kills} databases killed while created and seeded "
              f"started with the whole seed graph", flush=True)
        for cycle in range(args.cycles + 1):
            log = os.path.join(work, "server.log")
            if ledger is not None:
                # Odd cycles fsync every write; a kill -9 must lose nothing either way.
                server = Server(entented, db, log, cycle % 2 == 1)
                check_after_crash(server, ledger, rng, args.sample)
                if args.fresh_every and cycle % args.fresh_every == 0 and cycle < args.cycles:
                    check_stopped(server)
                    verify(entented, db)
                    ledger = None
            if ledger is None:
                db = os.path.join(work, f"db{cycle}")
                ledger = Ledger()
                server = Server(entented, db, log, False)
                setup(server)
            if cycle == args.cycles:
                break
            writers = Writers(server, ledger, cycle, rng)
            writers.start()
            time.sleep(rng.uniform(0.05, args.max_kill_delay))
            server.kill()
            check_killed(server.proc, server.log_path)
            writers.join()
            server.close()
            for kind, n in writers.calls.items():
                totals[kind] += n
            verify_seconds = verify(entented, db)
            print(f"cycle {cycle}: {len(ledger.stored)} facts stored or acknowledged, "
                  f"{sum(len(f) for _, f in ledger.unknown)} in calls cut off; "
                  f"verify {verify_seconds:.2f} s", flush=True)
        # Last: a clean stop, and the database it leaves is consistent too.
        check_stopped(server)
        verify(entented, db)
    except Failure as failure:
        if server is not None:
            server.kill()
        print(f"crash_test: FAILED in cycle {cycle} (seed {seed}): {failure}\n"
              f"crash_test: the work directory {work} is kept (database {db})", flush=True)
        return 1
    finally:
        if server is not None and server.proc.poll() is None:
            server.kill()
    elapsed = time.monotonic() - started
    print(f"crash_test: {args.cycles} cycles passed in {elapsed:.1f} s: "
          f"{len(ledger.stored)} facts stored, {ledger.absent} of cut-off calls absent; "
          f"acknowledged calls: {totals['RecordFacts']} RecordFacts, {totals['Import']} Import, "
          f"{totals['RecordFact']} RecordFact; calls cut off (all stored/some/none): " +
          ", ".join(f"{kind} {'/'.join(map(str, counts))}"
                    for kind, counts in ledger.outcomes.items()), flush=True)
    if not args.dir:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
