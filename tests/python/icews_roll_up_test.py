"""Issue 11's acceptance test: the ICEWS 2014 sample imported into a seeded entented with
`entente import`, then rolled-up answers checked against counts made here from the TSV.

The counts are independent of the server: the sample's rows are read with the csv-free
split the format allows (tab-separated, a header line), an actor counts as the state its
name is, or names in its last parentheses ("Foreign Affairs (Russia)"), by the seed states'
names and aliases (seeds/data: the importer affiliates a new "Sector (Country)" actor when
Country is a known state's name or alias exactly as written, and joins a name that is one),
and Goldstein values come from graph/cameo_table.inc and the representative codes of
graph/cameo.cc. Seed facts valid in 2014 count too: the test finds them in
seeds/data/facts.jsonl and rolls their office holders up by the seeds' ROLE facts.

CTest sets ENTENTE, ENTENTED, ICEWS_EVENTS and ENTENTE_SOURCE_DIR (the repository).
"""

import collections
import json
import math
import os
import re
import subprocess

import pytest

from entente_fixtures import running_server

ENTENTE = os.environ.get("ENTENTE", "entente")
SOURCE_DIR = os.environ.get("ENTENTE_SOURCE_DIR") or os.path.join(
    os.path.dirname(__file__), "..", "..")
EVENTS = os.environ.get("ICEWS_EVENTS") or os.path.join(
    SOURCE_DIR, "..", "shared", "data", "icews14", "events.tsv")
SOURCE_ID = "events.tsv"  # the import's default: the file's last path component


def entente(server, *args, check=None):
    run = subprocess.run([ENTENTE, "--server", server, *args], capture_output=True,
                         text=True, timeout=300)
    if check is not None:
        assert run.returncode == check, (run.returncode, run.stdout[-2000:], run.stderr)
    return run


def merged_timeline(stdout):
    """The --json timeline stream (one message a line) merged as MergeFrom would."""
    merged = {"facts": [], "buckets": [], "summary": {}}
    for line in stdout.splitlines():
        message = json.loads(line)
        merged["facts"] += message.get("facts", [])
        merged["buckets"] += message.get("buckets", [])
        merged["summary"].update(message.get("summary", {}))
    return merged


# --- what the repository says: states, CAMEO values, seed facts -------------------------

def read_jsonl(*parts):
    with open(os.path.join(SOURCE_DIR, *parts)) as f:
        return [json.loads(line) for line in f if line.strip()]


def state_names():
    """Name or alias, as written -> state id, for every seed STATE entity."""
    names = {}
    for entity in read_jsonl("seeds", "data", "entities.jsonl") + read_jsonl(
            "seeds", "data", "states.jsonl"):
        if entity["kind"] == "ENTITY_KIND_STATE":
            for text in [entity["name"], *entity.get("aliases", [])]:
                assert names.setdefault(text, entity["id"]) == entity["id"], text
    return names


def cameo_table():
    """(name in lower case -> code, code -> Goldstein) from graph/cameo_table.inc."""
    with open(os.path.join(SOURCE_DIR, "graph", "cameo_table.inc")) as f:
        rows = re.findall(r'\{"(\d+)", "((?:[^"\\]|\\.)*)", (-?\d+(?:\.\d+)?), v1::FACT_TYPE_\w+\}',
                          f.read())
    assert len(rows) > 200, "graph/cameo_table.inc changed shape"
    by_name = {name.lower(): code for code, name, _ in rows}
    by_code = {}
    for code, _, goldstein in rows:
        by_code.setdefault(code, float(goldstein))
    return by_name, by_code


def representative_codes():
    """Fact type -> the CAMEO code that scores it when a fact has none (graph/cameo.cc)."""
    with open(os.path.join(SOURCE_DIR, "graph", "cameo.cc")) as f:
        pairs = re.findall(r'case v1::(FACT_TYPE_\w+): return "(\d+)";', f.read())
    assert pairs, "graph/cameo.cc changed shape"
    return dict(pairs)


def goldstein_of(fact_type, code, by_code, representative):
    """graph/cameo.h GoldsteinOf: the code's value or its nearest listed parent's ("0431" ->
    "043" -> "040"), else the fact type's representative code's, else 0."""
    while code:
        if code in by_code:
            return by_code[code]
        if len(code) > 3:
            code = code[:3]
        elif len(code) == 3 and code[-1] != "0":
            code = code[:2] + "0"
        else:
            break
    return by_code.get(representative.get(fact_type, ""), 0.0)


def scored(goldstein):
    """The graph keeps Goldstein values in tenths; a zero has no direction and is not
    part of the mean (graph/timeline.cc)."""
    return round(goldstein * 10) != 0


def day_range(span):
    """(first day, last day) as (y, m, d) tuples of a proto-JSON TimeSpan; open ends are
    the ends of time. A span without an end is its start, at its precision."""
    def first(date):
        return (date["year"], date.get("month", 1), date.get("day", 1))

    def last(date):
        precision = date.get("precision")
        if precision == "PRECISION_YEAR":
            return (date["year"], 12, 31)
        if precision == "PRECISION_MONTH":
            return (date["year"], date["month"], 31)  # compared only, never printed
        return (date["year"], date["month"], date["day"])

    low = (-10**6, 0, 0) if span.get("openStart") else first(span["start"])
    if span.get("openEnd"):
        high = (10**6, 0, 0)
    else:
        high = last(span["end"] if "end" in span else span["start"])
    return low, high


def seeds_in_2014():
    """The seed facts valid on some day of 2014, each with the set of entities its
    participants roll up to: a state as itself, anyone else as the state of a seed ROLE
    (EMPLOYER a STATE) whose days overlap the fact's (the one covering the fact's own day,
    its first or, when the start is unknown, its last, else the earliest), else itself
    (docs/queries.md, Roll-up to states)."""
    facts = read_jsonl("seeds", "data", "facts.jsonl")
    state_ids = set(state_names().values())
    offices = collections.defaultdict(list)  # office holder -> [(first, last, state)]
    for fact in facts:
        if fact["type"] != "FACT_TYPE_ROLE":
            continue
        roles = {p["role"]: p["entityId"] for p in fact["participants"]}
        employer = roles.get("PARTICIPANT_ROLE_EMPLOYER")
        if employer in state_ids:
            offices[roles["PARTICIPANT_ROLE_OFFICE_HOLDER"]].append(
                (*day_range(fact["validTime"]), employer))

    def rolled(entity, low, high, own_day):
        if entity in state_ids:
            return entity
        overlapping = sorted(o for o in offices.get(entity, []) if o[0] <= high and o[1] >= low)
        covering = [o for o in overlapping if o[0] <= own_day <= o[1]]
        chosen = covering or overlapping
        return chosen[0][2] if chosen else entity

    found = []
    for fact in facts:
        low, high = day_range(fact["validTime"])
        if low <= (2014, 12, 31) and high >= (2014, 1, 1):
            own_day = high if fact["validTime"].get("openStart") else low
            found.append((fact, {rolled(p["entityId"], low, high, own_day)
                                 for p in fact["participants"]}))
    return found


# --- what the sample says ---------------------------------------------------------------

def sample():
    """The sample's distinct events as the importer takes them: (date, source, relation,
    target), fields stripped; rows whose relation is no CAMEO event are rejected."""
    by_name, _ = cameo_table()
    events, rejected = set(), 0
    with open(EVENTS, encoding="utf-8") as f:
        header = f.readline().rstrip("\n").split("\t")
        assert header == ["date", "source", "relation", "target"], header
        for line in f:
            if not line.strip():
                continue
            date, source, relation, target = (p.strip() for p in line.rstrip("\n").split("\t"))
            if relation.lower() not in by_name:
                rejected += 1
                continue
            events.add((date, source, relation, target))
    return events, rejected


def state_of(actor, states):
    """The state an ICEWS actor stands for: its name is one, or its last parentheses name
    one ("Foreign Affairs (Russia)"); None for any other actor."""
    if actor in states:
        return states[actor]
    open_at = actor.rfind(" (")
    if actor.endswith(")") and open_at > 0:
        return states.get(actor[open_at + 2:-1])
    return None


def summary_of(event):
    """The summary the importer writes for a TSV event: "source: relation: target"."""
    _, source, relation, target = event
    return f"{source}: {relation}: {target}"


def date_of(date):
    parts = [date["year"], date.get("month"), date.get("day")]
    return "-".join(f"{p:04d}" if i == 0 else f"{p:02d}" for i, p in enumerate(parts) if p)


@pytest.fixture(scope="module")
def server():
    """A seeded entented with the sample imported by `entente import`."""
    events, rejected = sample()
    with running_server() as address:
        # Rows of unknown events are rejected, so the import exits 1, as documented.
        run = entente(address, "--json", "import", EVENTS, check=1)
        summary = json.loads(run.stdout)
        assert summary["sourceId"] == SOURCE_ID
        assert int(summary.get("rejected", 0)) == rejected
        # Every event, and an AFFILIATION for each new "Sector (Country)" actor.
        assert int(summary.get("factsCreated", 0)) >= len(events)
        yield address


def test_rolled_up_timeline_lists_exactly_the_iran_russia_rows(server):
    states = state_names()
    by_name, by_code = cameo_table()
    representative = representative_codes()
    events, _ = sample()
    expected = {}
    for event in events:
        if {state_of(event[1], states), state_of(event[3], states)} == {"IRN", "RUS"}:
            expected[(event[0], summary_of(event))] = event
    assert len(expected) > 50, "the sample has Iran-Russia rows"

    run = entente(server, "--json", "timeline", "Iran", "Russia", "--from", "2014", "--to",
                  "2014", "--roll-up", check=0)
    timeline = merged_timeline(run.stdout)
    imported = [r for r in timeline["facts"] if r["fact"]["provenance"]["sourceId"] == SOURCE_ID]
    others = [r for r in timeline["facts"] if r["fact"]["provenance"]["sourceId"] != SOURCE_ID]

    # The sample's facts: exactly the rows counted here, each once.
    got = collections.Counter((date_of(r["fact"]["validTime"]["start"]), r["fact"]["summary"])
                              for r in imported)
    assert [key for key, n in got.items() if n > 1] == []
    assert sorted(set(got) - set(expected)) == []
    assert sorted(set(expected) - set(got)) == []
    for record in imported:
        fact = record["fact"]
        event = expected[(date_of(fact["validTime"]["start"]), fact["summary"])]
        assert fact["cameoCode"] == by_name[event[2].lower()], fact
        rolled = record.get("rolledUpParticipants", [])
        assert len(rolled) == len(fact["participants"]), record
        assert sorted(p["entityId"] for p in rolled) == ["IRN", "RUS"], record

    # The seed facts valid in 2014 between the two.
    seeds = {f["summary"]: f for f, rolled in seeds_in_2014() if {"IRN", "RUS"} <= rolled}
    assert sorted(r["fact"]["summary"] for r in others) == sorted(seeds)
    assert all(r["fact"]["provenance"]["sourceId"].startswith("seed:") for r in others)

    # One bucket, 2014, whose Goldstein mean is that of the facts with a direction.
    values = [by_code[by_name[e[2].lower()]] for e in expected.values()]
    values += [goldstein_of(f["type"], f.get("cameoCode", ""), by_code, representative)
               for f in seeds.values()]
    values = [v for v in values if scored(v)]
    assert len(timeline["buckets"]) == 1, timeline["buckets"]
    bucket = timeline["buckets"][0]
    assert bucket["period"]["year"] == 2014
    assert int(bucket["factCount"]) == len(expected) + len(seeds)
    assert int(bucket["scoredFactCount"]) == len(values)
    assert math.isclose(bucket["goldsteinMean"], sum(values) / len(values), abs_tol=1e-9)
    assert math.isclose(bucket["goldsteinTotal"], sum(values), abs_tol=1e-9)
    assert int(timeline["summary"]["totalFacts"]) == len(expected) + len(seeds)


def expected_neighbors_of_russia():
    """State id -> distinct facts of 2014 between an actor standing for Russia and one
    standing for it: sample rows, then seed facts naming both."""
    states = state_names()
    counts = collections.Counter()
    for event in sample()[0]:
        a, b = state_of(event[1], states), state_of(event[3], states)
        if "RUS" in (a, b) and a != b and a and b:
            counts[b if a == "RUS" else a] += 1
    state_ids = set(states.values())
    for _, rolled in seeds_in_2014():
        if "RUS" in rolled:
            for other in (rolled & state_ids) - {"RUS"}:
                counts[other] += 1
    return counts


def test_rolled_up_neighbors_of_russia_are_the_states_it_dealt_with(server):
    expected = expected_neighbors_of_russia()
    run = entente(server, "--json", "neighbors", "Russia", "--from", "2014-01", "--to",
                  "2014-12", "--roll-up", check=0)
    response = json.loads(run.stdout)
    neighbors = response["neighbors"]
    counts = [int(n.get("factCount", 0)) for n in neighbors]
    assert counts == sorted(counts, reverse=True), "most connected first"
    states = [n for n in neighbors if n.get("kind") == "ENTITY_KIND_STATE"]
    top = states[:10]
    assert len(top) == 10
    # Each of the ten has the count made here, and the ten counts are the ten largest
    # (ties at the tenth place may pick either state).
    assert {n["entityId"]: int(n["factCount"]) for n in top} == \
        {n["entityId"]: expected[n["entityId"]] for n in top}
    assert [int(n["factCount"]) for n in top] == \
        sorted(expected.values(), reverse=True)[:10]
    tenth = int(top[-1]["factCount"])
    assert {s for s, n in expected.items() if n > tenth} <= {n["entityId"] for n in top}
    assert "RUS" not in {n["entityId"] for n in neighbors}  # internal facts are no edge
    # The facts name the actors behind Russia and behind each neighbor.
    to_iran = [f for f in response["facts"]
               if {f["fromEntityId"], f["toEntityId"]} == {"RUS", "IRN"}]
    assert to_iran and all(f.get("fromActorIds") and f.get("toActorIds") for f in to_iran)
    behind_russia = {a for f in to_iran
                     for a in (f["fromActorIds"] if f["fromEntityId"] == "RUS" else f["toActorIds"])}
    assert behind_russia - {"RUS"}, "Russia's ministries, not Russia itself, act in the sample"



def test_people_read_both_levels(server):
    """The tables an analyst reads: each rolled-up fact with the actors it came from."""
    run = entente(server, "timeline", "Iran", "Russia", "--from", "2014-11", "--to", "2014-11",
                  "--roll-up", check=0)
    lines = run.stdout.splitlines()
    assert "ROLLED UP" in lines[0] and "ACTORS" in lines[0], run.stdout
    rows = [l for l in lines if re.search(r"(Russia → Iran|Iran → Russia)  ", l)]
    assert rows and any("(Russia)" in l for l in rows), run.stdout

    run = entente(server, "neighbors", "Russia", "--from", "2014-01", "--to", "2014-12",
                  "--roll-up", check=0)
    lines = run.stdout.splitlines()
    assert lines[0].split()[-1] == "ACTORS", run.stdout
    iran = next(l for l in lines if l.startswith("IRN "))
    assert "(Iran)" in iran, iran
    assert any(l.startswith("Russia's actors: ") and "(Russia)" in l for l in lines)

    run = entente(server, "path", "Russia", "Iran", "--from", "2014", "--to", "2014",
                  "--roll-up", "--facts", "100", check=0)
    lines = run.stdout.splitlines()
    assert lines[0].startswith("path 1 of 1: Russia → Iran (1 hop)"), run.stdout
    assert lines[1].split()[-1] == "ACTORS"
    assert any("(Russia)" in l for l in lines[2:]), run.stdout
