#!/usr/bin/python3
"""Soak test: entented under a mixed load for a long time (default 10 minutes).

Run it as `bash bench/soak.sh [BUILD] [SECONDS] [options]` from the repository root
(docs/benchmarks.md, "Soak test"). It is not part of CTest.

1. Loads the ICEWS events into a fresh database in a temporary directory with
   `entente_graph_bench --db` (the loader whose entity ids entente_load_gen's queries
   use) and starts its own `entented --no-seeds` on 127.0.0.1, port 0 (the port is read
   from the log line "listening on 127.0.0.1:PORT").
2. Holds the load for SECONDS:
   - queries: `entente_load_gen` with --clients N (default 4), the default mix of
     timeline, neighbors, path and resolve, in consecutive runs of --chunk seconds
     (default 60), each with its own seed and new connections;
   - writes, paced at --write-rate calls/s (default 10): new facts (RecordFact), the same
     fact again (must come back unchanged with the same id), GetFact of written facts,
     bad facts that must be refused with INVALID_ARGUMENT, RecordFacts streams with one
     bad and one repeated fact, retractions, and retractions of unknown ids (NOT_FOUND);
   - every --import-seconds (default 60) a WriteService.Import of a generated ICEWS TSV
     with some bad lines, alternately new lines and the previous file again;
   - GetStats every 10 s and a Backup (removed right after) every --backup-seconds.
3. Samples the server's /proc/PID/status (VmRSS, RssAnon, RssFile, VmHWM, threads), its
   open file descriptors and CPU time every --sample-seconds into rss.csv.
4. Then checks that the server still answers (gRPC health, a query, and that its fact
   counts are exactly what the acknowledged writes make them), stops it with SIGTERM
   (expects exit status 0), runs `entented --verify` on the database and reports.

RSS is reported after the warm-up (--warmup, default 10% of the run, at most 60 s), at
the end and at its maximum, with the growth over the whole run and over its second half
(two points and a least-squares slope): a leak keeps growing in the second half, cache
warm-up flattens out. The results (rss.csv, report.txt, report.json, the load
generator's outputs, the server log) go to --out (default BUILD/soak/DATE-TIME).

Exit status: 0 when nothing unexpected happened; 1 when a call failed unexpectedly, an
expected refusal did not come, the counts disagree, the server died, did not stop
cleanly or its database did not verify; 2 a usage or setup error; 77 no events file
(skipped); 130 interrupted.
Everything it started is stopped and the temporary directory removed in every case.
"""

import argparse
import collections
import csv
import ctypes
import json
import os
import random
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time

CALL_TIMEOUT = 60  # seconds: 2 shared cores, maybe builds beside us; nothing near this is normal
MIB = 1024 * 1024


class Interrupted(Exception):
    pass


class SetupError(Exception):
    pass


class MissingEvents(SetupError):
    pass


def parse_args(argv):
    here = os.path.dirname(os.path.abspath(__file__))
    p = argparse.ArgumentParser(
        prog="bench/soak.sh",
        description="Holds a mixed load on a fresh entented and reports RSS growth and errors.")
    p.add_argument("build", nargs="?", default="build", help="build directory (default build)")
    p.add_argument("seconds", nargs="?", type=float, default=600, help="load duration (default 600)")
    p.add_argument("--events", default=os.path.join(here, "..", "..", "shared", "data", "icews14",
                                                    "events.tsv"),
                   help="ICEWS events file to load and query (default ../shared/data/icews14/events.tsv)")
    p.add_argument("--limit", type=int, default=0,
                   help="use only the first N events (a quick run; default all)")
    p.add_argument("--clients", type=int, default=4, help="entente_load_gen clients (default 4)")
    p.add_argument("--chunk", type=float, default=60, help="seconds per entente_load_gen run (default 60)")
    p.add_argument("--write-rate", type=float, default=10, help="write calls per second (default 10)")
    p.add_argument("--batch", type=int, default=10, help="facts per RecordFacts stream (default 10)")
    p.add_argument("--import-lines", type=int, default=500, help="lines per Import (default 500)")
    p.add_argument("--import-seconds", type=float, default=60, help="seconds between Imports (default 60)")
    p.add_argument("--backup-seconds", type=float, default=120,
                   help="seconds between Backups (default 120; 0: none)")
    p.add_argument("--sample-seconds", type=float, default=None,
                   help="RSS sampling interval (default 5 s, less for runs under 5 minutes)")
    p.add_argument("--warmup", type=float, default=None,
                   help="seconds of load before the RSS baseline (default 10%% of the run, at most 60)")
    p.add_argument("--server-args", default="", help="extra entented arguments, e.g. '--row-cache-mb 256'")
    p.add_argument("--out", default=None, help="results directory (default BUILD/soak/DATE-TIME)")
    p.add_argument("--keep", action="store_true", help="keep the temporary directory (database, backups)")
    p.add_argument("--seed", type=int, default=20140101, help="seed of the writes and queries")
    a = p.parse_args(argv)
    if a.seconds <= 0 or a.clients < 1 or a.write_rate <= 0 or a.batch < 3 or a.chunk <= 0:
        p.error("seconds, --clients, --write-rate and --chunk must be positive and --batch at least 3")
    if a.sample_seconds is None:
        a.sample_seconds = max(1.0, min(5.0, a.seconds / 60))
    if a.warmup is None:
        a.warmup = min(60.0, a.seconds / 10)
    return a


def actor_id(name):
    """bench::ActorId (importer::SlugOf): the entity id entente_graph_bench gives an actor."""
    out = []
    pending = False
    for b in name.encode():
        c = chr(b)
        if b < 128 and c.isalnum():
            if pending and out:
                out.append("_")
            pending = False
            out.append(c.lower())
        else:
            pending = True
    slug = "".join(out)[:100].rstrip("_")
    return slug or "actor"


def read_events(path):
    """(source name, relation, target name) of every event the loader stores as a fact."""
    events = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f):
            fields = line.rstrip("\n").split("\t")
            if n == 0 and fields[0] == "date":
                continue
            # The one relation of the ICEWS extract that is not a CAMEO event: not loaded.
            if len(fields) == 4 and fields[2] != "locatedin":
                events.append((fields[1], fields[2], fields[3]))
    return events


def proc_sample(pid):
    """VmRSS, RssAnon, RssFile, VmHWM (KiB), threads, open fds and CPU seconds of pid."""
    values = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, rest = line.partition(":")
            if key in ("VmRSS", "RssAnon", "RssFile", "VmHWM", "Threads"):
                values[key] = int(rest.split()[0])
    fds = len(os.listdir(f"/proc/{pid}/fd"))
    with open(f"/proc/{pid}/stat") as f:
        stat = f.read().rsplit(")", 1)[1].split()
    cpu = (int(stat[11]) + int(stat[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime
    return values, fds, cpu


def slope_per_minute(points):
    """Least-squares slope of (seconds, MiB) points, in MiB per minute."""
    if len(points) < 2:
        return 0.0
    n = len(points)
    mt = sum(t for t, _ in points) / n
    my = sum(y for _, y in points) / n
    var = sum((t - mt) ** 2 for t, _ in points)
    return 0.0 if var == 0 else 60 * sum((t - mt) * (y - my) for t, y in points) / var


def percentile(sorted_values, p):
    if not sorted_values:
        return 0.0
    return sorted_values[min(len(sorted_values) - 1, int(p * len(sorted_values)))]


class Tally:
    """Per operation: calls, outcomes ("ok", "expected CODE", "UNEXPECTED ..."), latencies."""

    def __init__(self):
        self.lock = threading.Lock()
        self.outcomes = collections.defaultdict(collections.Counter)
        self.latency = collections.defaultdict(list)
        self.examples = {}

    def add(self, op, outcome, seconds, message=None):
        with self.lock:
            self.outcomes[op][outcome] += 1
            self.latency[op].append(seconds)
            if outcome.startswith("UNEXPECTED") and (op, outcome) not in self.examples:
                self.examples[(op, outcome)] = message or ""

    def unexpected(self):
        with self.lock:
            return sum(n for c in self.outcomes.values() for o, n in c.items()
                       if o.startswith("UNEXPECTED"))


class Soak:
    def __init__(self, args):
        self.a = args
        self.build = os.path.abspath(args.build)
        self.bin = {
            "entented": os.path.join(self.build, "server", "entented"),
            "load_gen": os.path.join(self.build, "bench", "entente_load_gen"),
            "graph_bench": os.path.join(self.build, "bench", "entente_graph_bench"),
        }
        self.events_path = os.path.abspath(args.events)
        self.events_label = self.events_path
        self.rng = random.Random(args.seed)
        self.stop = threading.Event()      # the load phase is over (or must end now)
        self.sampler_stop = threading.Event()
        self.interrupted = None
        self.cleaning = False
        self.failures = []                 # reasons the run fails
        self.notes = []
        self.lock = threading.Lock()
        self.tally = Tally()
        self.children = []                 # Popen objects to stop at cleanup
        self.server = None
        self.work = None
        self.t0 = None                     # monotonic time the load started
        self.phase = "start"
        self.samples = []                  # (t, phase, values, fds, cpu)
        self.stats = None                  # last GetStats
        self.created = 0                   # facts acknowledged as created by our writes
        self.retracted = set()             # ids we retracted
        self.chunks = []                   # entente_load_gen JSON per run
        self.imports = []                  # dicts per Import
        self.backups = []                  # seconds per Backup

    # ---- helpers ----

    def fail(self, reason):
        with self.lock:
            self.failures.append(reason)
        print(f"soak: FAILURE: {reason}", flush=True)

    def now(self):
        return time.monotonic() - self.t0 if self.t0 is not None else 0.0

    def on_signal(self, signum, _frame):
        if self.cleaning or self.interrupted:
            return
        self.interrupted = signal.Signals(signum).name
        self.stop.set()
        raise Interrupted()

    def spawn(self, argv, **kw):
        proc = subprocess.Popen(argv, start_new_session=True, **kw)  # Ctrl-C reaches us only
        with self.lock:
            self.children.append(proc)
        return proc

    @staticmethod
    def end_process(proc, grace):
        if proc.poll() is None:
            try:
                proc.send_signal(signal.SIGTERM)
                proc.wait(grace)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

    # ---- setup ----

    def check_inputs(self):
        missing = [p for p in self.bin.values() if not os.access(p, os.X_OK)]
        if missing:
            raise SetupError(f"missing {', '.join(missing)}; build them with "
                             f"ninja -C {self.a.build} entented entente_load_gen entente_graph_bench")
        stubs = os.path.join(self.build, "python", "entente", "v1", "write_service_pb2_grpc.py")
        if not os.path.exists(stubs):
            raise SetupError(f"missing {stubs}: the build generates the Python stubs")
        if not os.path.exists(self.events_path):
            raise MissingEvents(f"SKIPPED: no events file {self.events_path} (--events)")

    def load_database(self):
        db = os.path.join(self.work, "db")
        print(f"soak: loading {self.events_path} into {db} (entente_graph_bench)", flush=True)
        started = time.monotonic()
        with open(os.path.join(self.out, "load.log"), "w") as log:
            proc = self.spawn([self.bin["graph_bench"], "--events", self.events_path, "--db", db,
                               "--queries", "1"], stdout=log, stderr=subprocess.STDOUT)
            if proc.wait() != 0:
                raise SetupError(f"entente_graph_bench exited with {proc.returncode} "
                                 f"(see {os.path.join(self.out, 'load.log')})")
        print(f"soak: loaded in {time.monotonic() - started:.1f} s", flush=True)
        return db

    def start_server(self, db):
        self.server_log = os.path.join(self.work, "server.log")
        log = open(self.server_log, "w")
        argv = [self.bin["entented"], "--db", db, "--listen", "127.0.0.1:0", "--no-seeds"]
        argv += shlex.split(self.a.server_args)
        libc = ctypes.CDLL(None, use_errno=True)

        def die_with_us():  # PR_SET_PDEATHSIG: the server gets SIGTERM if we are killed
            libc.prctl(1, int(signal.SIGTERM))

        self.server = self.spawn(argv, stdout=log, stderr=subprocess.STDOUT, preexec_fn=die_with_us)
        log.close()
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            with open(self.server_log) as f:
                for line in f:
                    if "listening on 127.0.0.1:" in line:
                        port = line.split("listening on 127.0.0.1:")[1].split()[0]
                        return f"127.0.0.1:{port}"
            if self.server.poll() is not None:
                raise SetupError(f"entented exited with {self.server.returncode} before listening")
            time.sleep(0.1)
        raise SetupError("entented did not log its port within 120 s")

    def connect(self):
        import grpc
        from entente.v1 import admin_service_pb2_grpc, read_service_pb2_grpc, write_service_pb2_grpc
        channel = grpc.insecure_channel(self.addr)
        return (channel, write_service_pb2_grpc.WriteServiceStub(channel),
                read_service_pb2_grpc.ReadServiceStub(channel),
                admin_service_pb2_grpc.AdminServiceStub(channel))

    # ---- threads ----

    def sampler(self):
        out = open(os.path.join(self.out, "rss.csv"), "w", newline="")
        w = csv.writer(out)
        w.writerow(["t_s", "phase", "vmrss_kib", "rssanon_kib", "rssfile_kib", "vmhwm_kib",
                    "threads", "fds", "cpu_s", "facts", "disk_bytes"])
        while True:
            if self.server.poll() is not None:
                if not self.sampler_stop.is_set():
                    self.fail(f"entented died during the run (exit status {self.server.returncode}); "
                              f"see server.log")
                    self.stop.set()
                    with self.lock:
                        children = [c for c in self.children if c is not self.server]
                    for proc in children:  # a load generator would only count refusals now
                        self.end_process(proc, 5)
                break
            try:
                values, fds, cpu = proc_sample(self.server.pid)
            except (FileNotFoundError, ProcessLookupError):
                values = {}
            if "VmRSS" not in values:  # exiting: poll() tells at the next turn
                time.sleep(0.1)
                continue
            t = self.now()
            stats = self.stats
            with self.lock:
                self.samples.append((t, self.phase, values, fds, cpu))
            w.writerow([f"{t:.1f}", self.phase, values.get("VmRSS"), values.get("RssAnon"),
                        values.get("RssFile"), values.get("VmHWM"), values.get("Threads"), fds,
                        f"{cpu:.2f}", stats.fact_count if stats else "",
                        stats.disk_bytes if stats else ""])
            out.flush()
            if self.sampler_stop.wait(self.a.sample_seconds):
                break
        out.close()

    def load_runs(self):
        deadline = self.t0 + self.a.seconds
        run = 0
        while not self.stop.is_set():
            remaining = deadline - time.monotonic()
            if remaining < 2:
                break
            seconds = min(self.a.chunk, remaining)
            base = os.path.join(self.out, f"load_gen-{run:02d}")
            argv = [self.bin["load_gen"], "--server", self.addr, "--clients", str(self.a.clients),
                    "--seconds", f"{seconds:.1f}", "--events", self.events_path,
                    "--deadline-ms", str(CALL_TIMEOUT * 1000), "--seed", str(self.a.seed + run),
                    "--server-pid", str(self.server.pid), "--json"]
            with open(base + ".json", "w") as out, open(base + ".txt", "w") as err:
                proc = self.spawn(argv, stdout=out, stderr=err)
                status = proc.wait()
            try:
                with open(base + ".json") as f:
                    result = json.load(f)
            except (OSError, ValueError):
                result = None
            if result is None:
                if self.interrupted is None and self.server.poll() is None:
                    self.fail(f"entente_load_gen run {run} exited with {status} without a result "
                              f"(see {os.path.basename(base)}.txt)")
                break
            result["asked_seconds"] = seconds  # "seconds" is what it measured
            with self.lock:
                self.chunks.append(result)
            if status != 0 or result["errors"] or result["warmup_errors"]:
                codes = result["overall"]["errors_by_code"]
                self.fail(f"entente_load_gen run {run}: {result['errors']} errors "
                          f"({codes}), {result['warmup_errors']} in warm-up; "
                          f"see {os.path.basename(base)}.txt")
            run += 1

    def make_fact(self, serial, end_before_start=False, unknown=False, no_precision=False):
        from entente.v1 import fact_pb2, time_pb2
        source, _, target = self.rng.choice(self.pairs)
        fact = fact_pb2.Fact(type=self.rng.choice(self.fact_types), summary=f"soak {self.nonce} {serial}")
        fact.participants.add(entity_id=actor_id(source), role=fact_pb2.PARTICIPANT_ROLE_SOURCE)
        fact.participants.add(entity_id="soak_nobody" if unknown else actor_id(target),
                              role=fact_pb2.PARTICIPANT_ROLE_TARGET)
        start = fact.valid_time.start
        start.year, start.month, start.day = 2014, self.rng.randint(1, 12), self.rng.randint(1, 28)
        if not no_precision:
            start.precision = time_pb2.PRECISION_DAY
        if end_before_start:
            fact.valid_time.end.year = 2001
            fact.valid_time.end.precision = time_pb2.PRECISION_YEAR
        fact.provenance.source_id = "soak"
        fact.provenance.locator = f"call {serial}"
        return fact

    def writer(self):
        import grpc
        from entente.v1 import read_service_pb2, write_service_pb2
        channel, write, read, _ = self.connect()
        recent = collections.deque(maxlen=1000)  # (id, fact) of facts we created
        serial = 0
        cycle = ["new", "again", "get", "new", "bad", "batch", "new", "again", "get", "retract",
                 "new", "bad", "new", "again", "batch", "get", "new", "bad", "new", "retract_unknown"]
        interval = 1.0 / self.a.write_rate
        next_at = time.monotonic()
        i = 0
        while not self.stop.is_set():
            op = cycle[i % len(cycle)]
            i += 1
            if op in ("again", "get", "retract") and not recent:
                op = "new"
            started = time.monotonic()
            outcome, message = "ok", None
            try:
                if op == "new":
                    serial += 1
                    fact = self.make_fact(serial)
                    r = write.RecordFact(write_service_pb2.RecordFactRequest(fact=fact),
                                         timeout=CALL_TIMEOUT)
                    if r.created:
                        recent.append((r.record.fact.id, fact))
                        with self.lock:
                            self.created += 1
                    else:
                        outcome, message = "UNEXPECTED not created", r.record.fact.id
                elif op == "again":
                    fid, fact = self.rng.choice(recent)
                    r = write.RecordFact(write_service_pb2.RecordFactRequest(fact=fact),
                                         timeout=CALL_TIMEOUT)
                    if r.created or r.record.fact.id != fid:
                        outcome, message = "UNEXPECTED created again or new id", r.record.fact.id
                elif op == "get":
                    fid, fact = self.rng.choice(recent)
                    r = read.GetFact(read_service_pb2.GetFactRequest(id=fid), timeout=CALL_TIMEOUT)
                    if r.record.fact.summary != fact.summary:
                        outcome, message = "UNEXPECTED other fact", r.record.fact.summary
                elif op == "bad":
                    serial += 1
                    kind = serial % 3
                    fact = self.make_fact(serial, end_before_start=kind == 0,
                                          unknown=kind == 1, no_precision=kind == 2)
                    write.RecordFact(write_service_pb2.RecordFactRequest(fact=fact),
                                     timeout=CALL_TIMEOUT)
                    outcome = "UNEXPECTED accepted"
                elif op == "batch":
                    facts = []
                    for _ in range(self.a.batch - 2):
                        serial += 1
                        facts.append(self.make_fact(serial))
                    serial += 1
                    facts.insert(len(facts) // 2, self.make_fact(serial, unknown=True))
                    facts.append(self.rng.choice(recent)[1] if recent else facts[0])
                    r = write.RecordFacts(iter([write_service_pb2.RecordFactsRequest(fact=f)
                                                for f in facts]), timeout=CALL_TIMEOUT)
                    want = (self.a.batch, self.a.batch - 2, 1, 1)
                    got = (r.received, r.created, r.unchanged, r.rejected)
                    with self.lock:
                        self.created += r.created
                    if got != want:
                        outcome, message = "UNEXPECTED counts", f"received, created, unchanged, rejected {got}, not {want}"
                    else:
                        outcome = "ok (1 rejected, 1 unchanged)"
                elif op == "retract":
                    fid, _ = recent.popleft()
                    r = write.RetractFact(write_service_pb2.RetractFactRequest(fact_id=fid, reason="soak"),
                                          timeout=CALL_TIMEOUT)
                    if not r.record.HasField("retraction"):
                        outcome, message = "UNEXPECTED not retracted", fid
                    with self.lock:
                        self.retracted.add(fid)
                elif op == "retract_unknown":
                    fid = "%032x" % self.rng.getrandbits(128)
                    write.RetractFact(write_service_pb2.RetractFactRequest(fact_id=fid, reason="soak"),
                                      timeout=CALL_TIMEOUT)
                    outcome = "UNEXPECTED retracted an unknown id"
            except grpc.RpcError as e:
                code = e.code().name
                expected = {"bad": "INVALID_ARGUMENT", "retract_unknown": "NOT_FOUND"}.get(op)
                if code == expected:
                    outcome = f"expected {code}"
                else:
                    outcome, message = f"UNEXPECTED {code}", e.details()
            self.tally.add(f"write {op}", outcome, time.monotonic() - started, message)
            if outcome.startswith("UNEXPECTED"):
                print(f"soak: unexpected: {op}: {outcome}: {message}", flush=True)
            next_at += interval
            delay = next_at - time.monotonic()
            if delay > 0:
                self.stop.wait(delay)
            else:
                next_at = time.monotonic()  # behind: do not burst to catch up
        channel.close()

    def import_file(self, write, write_service_pb2, number, lines):
        def requests():
            yield write_service_pb2.ImportRequest(header=write_service_pb2.ImportHeader(
                format=write_service_pb2.IMPORT_FORMAT_TSV, file_name=f"soak-{number}.tsv",
                source_id="soak_import"))
            yield write_service_pb2.ImportRequest(chunk=lines.encode())
        return write.Import(requests(), timeout=CALL_TIMEOUT)

    def new_import_lines(self):
        """An ICEWS TSV of real actor names and relations on new dates, with 1% bad lines."""
        bad_kinds = ["not a line", "2014-13-45\t{s}\t{r}\t{t}", "2014-06-01\t{s}\tSoak frobnicates\t{t}"]
        out = ["date\tsource\trelation\ttarget"]
        bad = max(1, self.a.import_lines // 100)
        good = self.a.import_lines - bad
        for n in range(good):
            s, r, t = self.rng.choice(self.pairs)
            out.append(f"2014-{self.rng.randint(1, 12):02d}-{self.rng.randint(1, 28):02d}\t{s}\t{r}\t{t}")
        for n in range(bad):
            s, r, t = self.rng.choice(self.pairs)
            out.insert(self.rng.randint(1, len(out)), bad_kinds[n % 3].format(s=s, r=r, t=t))
        return "\n".join(out) + "\n", good, bad

    def admin(self):
        import grpc
        from entente.v1 import admin_service_pb2, write_service_pb2
        channel, write, _, admin = self.connect()
        next_stats = 0.0
        next_import = self.a.warmup / 2 if self.a.import_seconds > 0 else float("inf")
        next_backup = self.a.warmup if self.a.backup_seconds > 0 else float("inf")
        previous = None
        number = 0
        while not self.stop.is_set():
            t = self.now()
            op = None
            started = time.monotonic()
            try:
                if t >= next_import:
                    op = "import"
                    number += 1
                    repeat = previous is not None and number % 2 == 0
                    if not repeat:
                        previous = self.new_import_lines()
                    lines, good, bad = previous
                    r = self.import_file(write, write_service_pb2, number, lines)
                    with self.lock:
                        self.created += r.facts_created
                        self.imports.append({"repeat": repeat, "lines": r.lines, "created": r.facts_created,
                                             "unchanged": r.unchanged, "rejected": r.rejected,
                                             "entities_created": r.entities_created,
                                             "seconds": time.monotonic() - started})
                    ok = (r.rejected == bad and r.facts_created + r.unchanged == good
                          and (not repeat or r.facts_created == 0))
                    self.tally.add("import (repeat)" if repeat else "import (new lines)",
                                   f"ok ({bad} bad lines rejected)" if ok else "UNEXPECTED counts",
                                   time.monotonic() - started,
                                   None if ok else f"created {r.facts_created}, unchanged {r.unchanged}, "
                                   f"rejected {r.rejected} of {good} good and {bad} bad lines: "
                                   f"{list(r.errors)[:3]}")
                    next_import += self.a.import_seconds
                elif t >= next_backup:
                    op = "backup"
                    target = os.path.join(self.work, "backups", f"b{len(self.backups)}")
                    admin.Backup(admin_service_pb2.BackupRequest(dir=target), timeout=CALL_TIMEOUT)
                    self.tally.add("backup", "ok", time.monotonic() - started)
                    with self.lock:
                        self.backups.append(time.monotonic() - started)
                    shutil.rmtree(target, ignore_errors=True)  # hard links: cheap, but not kept
                    next_backup += self.a.backup_seconds
                elif t >= next_stats:
                    op = "stats"
                    self.stats = admin.GetStats(admin_service_pb2.GetStatsRequest(), timeout=CALL_TIMEOUT)
                    self.tally.add("stats", "ok", time.monotonic() - started)
                    next_stats += 10
            except grpc.RpcError as e:
                self.tally.add(op, f"UNEXPECTED {e.code().name}", time.monotonic() - started, e.details())
                print(f"soak: unexpected: {op}: {e.code().name}: {e.details()}", flush=True)
            if op is None:
                self.stop.wait(0.2)
        channel.close()

    # ---- the run ----

    def run(self):
        self.check_inputs()
        sys.path.insert(0, os.path.join(self.build, "python"))
        stamp = time.strftime("%Y%m%d-%H%M%S")
        self.out = os.path.abspath(self.a.out or os.path.join(self.build, "soak", stamp))
        os.makedirs(self.out, exist_ok=True)
        self.work = tempfile.mkdtemp(prefix="entente_soak.")
        os.makedirs(os.path.join(self.work, "backups"))
        print(f"soak: results in {self.out}; work directory {self.work}", flush=True)
        if self.a.limit > 0:  # the database and the queries must come from the same events
            limited = os.path.join(self.work, "events.tsv")
            with open(self.events_path, encoding="utf-8") as f, open(limited, "w", encoding="utf-8") as out:
                for n, line in enumerate(f):
                    if n > self.a.limit:
                        break
                    out.write(line)
            self.events_label = f"the first {self.a.limit} events of {self.events_path}"
            self.events_path = limited
        self.pairs = [e for e in read_events(self.events_path) if actor_id(e[0]) != actor_id(e[2])]
        from entente.v1 import fact_pb2, source_pb2, write_service_pb2
        self.fact_types = [fact_pb2.FACT_TYPE_CALL, fact_pb2.FACT_TYPE_MEETING, fact_pb2.FACT_TYPE_STATEMENT]
        self.nonce = "%08x" % random.SystemRandom().getrandbits(32)

        db = self.load_database()
        self.db = db
        self.addr = self.start_server(db)
        print(f"soak: entented pid {self.server.pid} on {self.addr}", flush=True)
        channel, write, read, admin = self.connect()
        write.UpsertSource(write_service_pb2.UpsertSourceRequest(
            source=source_pb2.Source(id="soak", title="bench/soak.py writes")), timeout=CALL_TIMEOUT)
        from entente.v1 import admin_service_pb2
        self.stats_start = admin.GetStats(admin_service_pb2.GetStatsRequest(), timeout=CALL_TIMEOUT)
        self.stats = self.stats_start
        self.load_start = os.getloadavg()

        # A few idle samples first, at negative times: t = 0 is the start of the load.
        self.t0 = time.monotonic() + min(5.0, 2 * self.a.sample_seconds)
        sampler = threading.Thread(target=self.guarded, args=(self.sampler,), daemon=True)
        sampler.start()
        time.sleep(max(0.0, self.t0 - time.monotonic()))
        self.phase = "warmup"
        threads = [threading.Thread(target=self.guarded, args=(f,), name=f.__name__, daemon=True)
                   for f in (self.load_runs, self.writer, self.admin)]
        for t in threads:
            t.start()
        print(f"soak: load started: {self.a.clients} query clients, {self.a.write_rate:g} writes/s, "
              f"for {self.a.seconds:g} s", flush=True)
        next_report = 60.0
        while not self.stop.wait(0.5):
            t = self.now()
            if self.phase == "warmup" and t >= self.a.warmup:
                self.phase = "load"
            if t >= self.a.seconds:
                break
            if t >= next_report:
                self.progress()
                next_report += 60
        self.stop.set()
        for t in threads:
            t.join(CALL_TIMEOUT + self.a.chunk + 30)
            if t.is_alive():
                self.fail(f"a load thread ({t.name}) did not finish")
        self.load_seconds = self.now()
        self.phase = "after"
        time.sleep(min(2.0, self.a.sample_seconds))
        self.load_end = os.getloadavg()
        try:
            self.end_sample = self.sample_now()
        except FileNotFoundError:
            self.end_sample = None  # the server is gone
        if self.end_sample is not None and self.server.poll() is None:
            self.final_checks(channel, read, admin)
            channel.close()
            self.sampler_stop.set()  # before SIGTERM: the sampler takes an exit for a death
            sampler.join(30)
            self.stop_server()
        else:
            self.sampler_stop.set()
            sampler.join(30)
            last = self.samples[-1]
            self.end_sample = (last[2], last[3], last[4])
            self.health, self.stats_end, self.counts_ok = "none: the server died", None, False
            self.server_status, self.stop_seconds = self.server.wait(), 0.0
            shutil.copy(self.server_log, os.path.join(self.out, "server.log"))
        self.verify(db)  # after a crash too: the database must still be consistent
        return self.report()

    def guarded(self, fn):
        """Runs a load thread; a Python error in it fails the run instead of going unseen."""
        try:
            fn()
        except Exception as e:  # noqa: BLE001 - any error ends this thread's share of the load
            if not self.cleaning:
                self.fail(f"{fn.__name__} thread: {type(e).__name__}: {e}")
                self.stop.set()

    def sample_now(self):
        values, fds, cpu = proc_sample(self.server.pid)
        if "VmRSS" not in values:
            raise FileNotFoundError("the server is exiting")  # a zombie has no memory lines
        with self.lock:
            self.samples.append((self.now(), self.phase, values, fds, cpu))
        return values, fds, cpu

    def progress(self):
        with self.lock:
            last = self.samples[-1] if self.samples else None
            qps = self.chunks[-1]["qps"] if self.chunks else 0
        if last:
            print(f"soak: t={self.now():.0f} s: RSS {last[2]['VmRSS'] / 1024:.1f} MiB, "
                  f"{self.stats.fact_count if self.stats else '?'} facts, last query run {qps:.0f}/s, "
                  f"{sum(sum(c.values()) for c in self.tally.outcomes.values())} writes and admin calls, "
                  f"{len(self.failures)} failures", flush=True)

    def final_checks(self, channel, read, admin):
        import grpc
        from entente.v1 import admin_service_pb2, read_service_pb2
        self.health = "no answer"
        try:
            check = channel.unary_unary("/grpc.health.v1.Health/Check",
                                        request_serializer=lambda b: b, response_deserializer=lambda b: b)
            reply = check(b"", timeout=CALL_TIMEOUT)  # empty HealthCheckRequest
            self.health = "SERVING" if reply == b"\x08\x01" else f"reply {reply!r}"
            name, _, _ = self.pairs[0]
            r = read.ResolveEntity(read_service_pb2.ResolveEntityRequest(query=name), timeout=CALL_TIMEOUT)
            if actor_id(name) not in [m.entity.id for m in r.matches]:
                self.fail(f"final query: ResolveEntity({name!r}) did not find {actor_id(name)}")
            self.stats_end = admin.GetStats(admin_service_pb2.GetStatsRequest(), timeout=CALL_TIMEOUT)
        except grpc.RpcError as e:
            self.fail(f"final checks: {e.code().name}: {e.details()}")
            self.stats_end = None
        if self.health != "SERVING":
            self.fail(f"health check after the load: {self.health}")
        self.counts_ok = self.stats_end is not None
        if self.stats_end is not None:
            want = self.stats_start.fact_count + self.created
            if self.stats_end.fact_count != want:
                self.counts_ok = False
                self.fail(f"fact count {self.stats_end.fact_count}, expected {want} "
                          f"({self.stats_start.fact_count} + {self.created} acknowledged as created)")
            want = self.stats_start.retracted_fact_count + len(self.retracted)
            if self.stats_end.retracted_fact_count != want:
                self.counts_ok = False
                self.fail(f"retracted count {self.stats_end.retracted_fact_count}, expected {want}")

    def stop_server(self):
        started = time.monotonic()
        self.server.send_signal(signal.SIGTERM)
        try:
            self.server_status = self.server.wait(120)
        except subprocess.TimeoutExpired:
            self.server.kill()
            self.server.wait()
            self.server_status = "killed after 120 s"
        self.stop_seconds = time.monotonic() - started
        if self.server_status != 0:
            self.fail(f"entented exited with {self.server_status} on SIGTERM")
        shutil.copy(self.server_log, os.path.join(self.out, "server.log"))

    def verify(self, db):
        proc = subprocess.run([self.bin["entented"], "--db", db, "--verify"], capture_output=True,
                              text=True, timeout=600)
        self.verify_status = proc.returncode
        self.verify_output = (proc.stdout + proc.stderr).strip()
        if proc.returncode != 0:
            self.fail(f"entented --verify exited with {proc.returncode}: {self.verify_output[-500:]}")

    # ---- report ----

    def report(self):
        a = self.a
        lines = []
        say = lines.append
        mib = lambda kib: kib / 1024
        samples = self.samples
        load_samples = [s for s in samples if s[1] in ("warmup", "load")] + [samples[-1]]
        idle = [s for s in samples if s[1] == "start"]
        after_warmup = [s for s in samples if s[1] == "load"]
        base = after_warmup[0] if after_warmup else load_samples[0]
        end = self.end_sample
        peak = max(load_samples, key=lambda s: s[2]["VmRSS"])
        half = a.seconds / 2
        second = [s for s in samples if s[1] in ("load", "after") and s[0] >= half]
        first = [s for s in samples if s[1] == "load" and s[0] < half]

        def series(rows, key):
            return [(s[0], mib(s[2][key])) for s in rows]

        growth = mib(end[0]["VmRSS"] - base[2]["VmRSS"])
        chunks = self.chunks
        timed = sum(c["seconds"] for c in chunks)
        requests = sum(c["requests"] for c in chunks)
        say(f"Soak test: {time.strftime('%Y-%m-%d %H:%M %Z')}, {self.load_seconds:.0f} s of load "
            f"(asked {a.seconds:g} s; warm-up {a.warmup:g} s), {self.events_label}")
        say(f"  database: {self.stats_start.fact_count} facts, {self.stats_start.entity_count} entities at start; "
            f"server: entented {' '.join(shlex.split(a.server_args)) or '(default options)'}, pid {self.server.pid}")
        say(f"  machine: {os.cpu_count()} cores; load average (1 min) {self.load_start[0]:.2f} at start, "
            f"{self.load_end[0]:.2f} at end")
        say("")
        say("RSS of entented (VmRSS; RssAnon = heap and other anonymous memory):")
        if idle:
            say(f"  before the load:      {mib(idle[-1][2]['VmRSS']):8.1f} MiB (anon {mib(idle[-1][2]['RssAnon']):.1f})")
        say(f"  after warm-up (t={base[0]:.0f} s): {mib(base[2]['VmRSS']):8.1f} MiB (anon {mib(base[2]['RssAnon']):.1f})")
        say(f"  end of load (t={self.load_seconds:.0f} s): {mib(end[0]['VmRSS']):8.1f} MiB (anon {mib(end[0]['RssAnon']):.1f})")
        say(f"  maximum (t={peak[0]:.0f} s):     {mib(peak[2]['VmRSS']):8.1f} MiB; VmHWM {mib(end[0]['VmHWM']):.1f} MiB")
        say(f"  growth after warm-up: {growth:+.1f} MiB ({100 * growth / mib(base[2]['VmRSS']):+.1f}%)")
        if len(second) >= 2:
            d2 = mib(second[-1][2]["VmRSS"] - second[0][2]["VmRSS"])
            say(f"  second half (t={second[0][0]:.0f}..{second[-1][0]:.0f} s): {d2:+.1f} MiB, "
                f"slope {slope_per_minute(series(second, 'VmRSS')):+.2f} MiB/min "
                f"(anon {slope_per_minute(series(second, 'RssAnon')):+.2f})")
        if len(first) >= 2:
            say(f"  first half after warm-up: slope {slope_per_minute(series(first, 'VmRSS')):+.2f} MiB/min "
                f"(anon {slope_per_minute(series(first, 'RssAnon')):+.2f})")
        threads = [s[2]["Threads"] for s in load_samples]
        say(f"  threads {min(threads)}..{max(threads)}; open fds {base[3]} after warm-up, {end[1]} at end "
            f"(max {max(s[3] for s in load_samples)}); server CPU {end[2] - base[4]:.0f} s after warm-up")
        if self.stats_end is not None:
            s0, s1 = self.stats_start, self.stats_end
            say(f"  data: {s0.fact_count} -> {s1.fact_count} facts ({s1.fact_count - s0.fact_count:+d}), "
                f"{s0.entity_count} -> {s1.entity_count} entities, disk {s0.disk_bytes / MIB:.1f} -> "
                f"{s1.disk_bytes / MIB:.1f} MiB")
        say("")
        say(f"Queries (entente_load_gen, {a.clients} clients, {len(chunks)} run{'' if len(chunks) == 1 else 's'}, {timed:.0f} s timed, "
            f"deadline {CALL_TIMEOUT} s):")
        if chunks:
            say(f"  {'kind':<16}{'requests':>10}{'errors':>8}{'found':>7}{'p99 ms (worst run)':>20}{'max ms':>9}")
            for kind in ("timeline", "neighbors_1hop", "neighbors_2hop", "path", "resolve"):
                ks = [c["kinds"][kind] for c in chunks]
                n = sum(k["requests"] for k in ks)
                found = sum(k["found_ratio"] * k["requests"] for k in ks) / n if n else 0
                say(f"  {kind:<16}{n:>10}{sum(k['errors'] for k in ks):>8}{100 * found:>6.0f}%"
                    f"{max(k['p99_ms'] for k in ks):>20.2f}{max(k['max_ms'] for k in ks):>9.1f}")
            codes = collections.Counter()
            for c in chunks:
                codes.update(c["overall"]["errors_by_code"])
            qps = sorted(c["qps"] for c in chunks)
            p99 = sorted(c["overall"]["p99_ms"] for c in chunks)
            others = sorted((c["machine_busy_cpu_seconds"] - c["client_cpu_seconds"] - c["server_cpu_seconds"])
                            / c["seconds"] for c in chunks if c["seconds"] > 0)
            say(f"  all: {requests} requests, {requests / timed if timed else 0:.0f}/s; per run "
                f"{qps[0]:.0f} / {statistics.median(qps):.0f} / {qps[-1]:.0f} per s (min/median/max), "
                f"p99 {p99[0]:.2f} / {statistics.median(p99):.2f} / {p99[-1]:.2f} ms")
            say(f"  errors by status: {dict(codes) or 'none'}; in warm-up calls: "
                f"{sum(c['warmup_errors'] for c in chunks)}")
            say(f"  server {sum(c['server_cpu_seconds'] for c in chunks) / timed:.2f} cores, load_gen "
                f"{sum(c['client_cpu_seconds'] for c in chunks) / timed:.2f}, others on the machine "
                f"(this script included) median {statistics.median(others):.2f}, max {others[-1]:.2f}")
        say("")
        say("Writes and admin calls (this script, Python gRPC):")
        say(f"  {'call':<26}{'calls':>7}{'p50 ms':>9}{'p99 ms':>9}  outcomes")
        for op in sorted(self.tally.outcomes):
            lat = sorted(self.tally.latency[op])
            outcomes = ", ".join(f"{o} {n}" for o, n in sorted(self.tally.outcomes[op].items()))
            say(f"  {op:<26}{len(lat):>7}{1000 * percentile(lat, 0.5):>9.1f}{1000 * percentile(lat, 0.99):>9.1f}  {outcomes}")
        for (op, outcome), message in sorted(self.tally.examples.items()):
            say(f"  e.g. {op}: {outcome}: {message}")
        created = sum(i["created"] for i in self.imports)
        say(f"  facts created: {self.created} ({created} by {len(self.imports)} import{'' if len(self.imports) == 1 else 's'}); "
            f"retracted {len(self.retracted)}; backups {len(self.backups)}"
            + (f" ({min(self.backups):.2f}-{max(self.backups):.2f} s)" if self.backups else ""))
        if self.tally.unexpected():
            self.fail(f"{self.tally.unexpected()} unexpected write or admin outcomes")
        say("")
        say("End:")
        if self.stats_end is None:
            counts = "not checked"
        else:
            counts = "as acknowledged" if self.counts_ok else "NOT as acknowledged"
        say(f"  health after the load: {self.health}; fact and retraction counts {counts}")
        if self.health.startswith("none"):
            say(f"  the server died with exit status {self.server_status} (negative: killed by that signal)")
        else:
            say(f"  SIGTERM: exit status {self.server_status} after {self.stop_seconds:.2f} s")
        say(f"  entented --verify of the database: exit status {self.verify_status}")
        say("")
        say("Result: " + ("PASS" if not self.failures else "FAIL"))
        for f in self.failures:
            say(f"  - {f}")
        say(f"(samples: {os.path.join(self.out, 'rss.csv')})")
        text = "\n".join(lines)
        print("\n" + text, flush=True)
        with open(os.path.join(self.out, "report.txt"), "w") as f:
            f.write(text + "\n")
        summary = {
            "seconds": self.load_seconds, "warmup": a.warmup, "clients": a.clients,
            "write_rate": a.write_rate, "events": self.events_label,
            "rss_mib": {"before_load": mib(idle[-1][2]["VmRSS"]) if idle else None,
                        "after_warmup": mib(base[2]["VmRSS"]), "end": mib(end[0]["VmRSS"]),
                        "max": mib(peak[2]["VmRSS"]), "growth": growth,
                        "growth_pct": 100 * growth / mib(base[2]["VmRSS"]),
                        "second_half_slope_mib_per_min": slope_per_minute(series(second, "VmRSS")),
                        "first_half_slope_mib_per_min": slope_per_minute(series(first, "VmRSS"))},
            "queries": {"requests": requests, "qps": requests / timed if timed else 0,
                        "errors": sum(c["errors"] for c in chunks)},
            "writes": {op: dict(c) for op, c in self.tally.outcomes.items()},
            "facts_created": self.created, "imports": self.imports,
            "health": self.health, "server_exit": self.server_status, "verify_exit": self.verify_status,
            "failures": self.failures,
        }
        with open(os.path.join(self.out, "report.json"), "w") as f:
            json.dump(summary, f, indent=1)
        return 0 if not self.failures else 1

    def cleanup(self):
        self.cleaning = True
        self.stop.set()
        self.sampler_stop.set()
        with self.lock:
            children = list(self.children)
        for proc in children:
            if proc is not self.server:
                self.end_process(proc, 5)
        if self.server is not None:
            self.end_process(self.server, 30)
            if self.out and os.path.exists(getattr(self, "server_log", "")):
                shutil.copy(self.server_log, os.path.join(self.out, "server.log"))
        if self.work and not self.a.keep:
            shutil.rmtree(self.work, ignore_errors=True)
        elif self.work:
            print(f"soak: kept {self.work}", flush=True)


def main(argv):
    args = parse_args(argv)
    soak = Soak(args)
    soak.out = None
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, soak.on_signal)
    try:
        return soak.run()
    except Interrupted:
        print(f"soak: interrupted ({soak.interrupted}); stopping everything", flush=True)
        return 130
    except SetupError as e:
        print(f"soak: {e}", file=sys.stderr, flush=True)
        return 77 if isinstance(e, MissingEvents) else 2
    finally:
        soak.cleanup()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
