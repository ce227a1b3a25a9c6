"""`entente` one-shot commands against a real seeded entented, as a user runs them.

CTest sets ENTENTE (the tool), ENTENTED (the server) and PYTHONPATH (the generated
messages in build/python, and tests/python for the server fixture).
"""

import json
import os
import re
import subprocess

import grpc
import networkx as nx
import pytest
from google.protobuf import json_format

from entente.v1 import (admin_service_pb2, entity_pb2, fact_pb2, query_service_pb2,
                        read_service_pb2, write_service_pb2, write_service_pb2_grpc)

ENTENTE = os.environ.get("ENTENTE", "entente")
CLIENT_EXAMPLE = os.environ.get("ENTENTE_CLIENT_EXAMPLE")


def entente(server, *args, check=None):
    """Runs `entente --server SERVER ARGS...`; returns the CompletedProcess."""
    run = subprocess.run([ENTENTE, "--server", server, *args], capture_output=True, text=True,
                         timeout=60)
    if check is not None:
        assert run.returncode == check, (run.returncode, run.stdout, run.stderr)
    return run


def round_trips(line, message_type):
    """Parses one line of --json output as `message_type` and checks that printing it in
    the proto JSON mapping and parsing that again gives the same message."""
    message = json_format.Parse(line, message_type())
    again = json_format.Parse(json_format.MessageToJson(message), message_type())
    assert again == message
    return message


# --- human output ----------------------------------------------------------------------

def test_timeline_table_shows_dates_at_their_precision_and_claimants(server):
    run = entente(server, "timeline", "Iran", "Russia", "--from", "2001", "--to", "2025",
                  "--by", "year", check=0)
    lines = run.stdout.splitlines()
    header = lines[0].split()
    assert header[:2] == ["DATE", "TYPE"] and "SUMMARY" in header
    # The 2001 treaty is dated to a month, and shown so, never as a made-up day.
    signed_2001 = [l for l in lines if l.startswith("2001-03 ") and "AGREEMENT_SIGNED" in l]
    assert signed_2001, run.stdout
    assert "2001-03-01" not in run.stdout
    # Disagreeing claims stay apart, each with its claimant.
    assert any("ARMS_TRANSFER" in l and "Iran (denies)" in l for l in lines), run.stdout
    assert any("ARMS_TRANSFER" in l and "United States" in l for l in lines), run.stdout
    # Yearly buckets, aligned under their header, and the count at the end.
    buckets = lines[lines.index(next(l for l in lines if l.startswith("PERIOD"))):]
    assert re.match(r"^2001 +1 +\+\d+\.\d", buckets[1]), buckets
    assert re.match(r"^\d+ facts$", lines[-1])


def test_names_and_aliases_resolve_and_tables_align(server):
    run = entente(server, "resolve", "Tehran", check=0)
    assert run.stdout.splitlines()[1].split()[:4] == ["IRN", "Iran", "STATE", "exact"]
    # An alias works wherever an entity goes; the neighbors table aligns its columns.
    run = entente(server, "neighbors", "Islamic Republic of Iran", check=0)
    lines = run.stdout.splitlines()
    kind_column = lines[0].index("KIND")
    assert all(line[kind_column - 2:kind_column] == "  " for line in lines[1:-1])


def test_show_entity_and_fact(server):
    run = entente(server, "show", "IRN", check=0)
    assert re.search(r"^aliases +Tehran, ", run.stdout, re.M), run.stdout
    fact_id = json.loads(entente(server, "--json", "timeline", "Iran", "Russia",
                                 "--from", "2025-01-17", "--to", "2025-01-17",
                                 "--types", "agreement", check=0).stdout)["facts"][0]["fact"]["id"]
    run = entente(server, "show", fact_id, check=0)
    assert re.search(r"^when +2025-01-17$", run.stdout, re.M), run.stdout
    assert re.search(r"^source +\S+", run.stdout, re.M), run.stdout


def test_snapshot_and_diff(server):
    run = entente(server, "snapshot", "Iran", "Russia", "--at", "2025-02", check=0)
    assert "Agreements in force (3)" in run.stdout
    assert "1.6 billion USD" in run.stdout
    run = entente(server, "diff", "Iran", "Russia", "--from", "2021", "--to", "2025", check=0)
    assert "Agreements in force: 1 added, 0 removed" in run.stdout


def test_time_respecting_path(server):
    run = entente(server, "path", "North Korea", "Iran", "--time-respecting", "--since", "2020",
                  check=0)
    first = run.stdout.splitlines()[0]
    assert first.startswith("path 1 of 1: North Korea → ") and first.endswith(" hops)"), first
    assert "DAY" in run.stdout.splitlines()[1]


# --- errors and exit statuses ----------------------------------------------------------

@pytest.fixture(scope="module")
def ambiguous_georgia(server):
    """A second entity answering to "Georgia" (the seeds have the state GEO)."""
    with grpc.insecure_channel(server) as channel:
        write = write_service_pb2_grpc.WriteServiceStub(channel)
        write.UpsertEntity(write_service_pb2.UpsertEntityRequest(entity=entity_pb2.Entity(
            id="georgia_us_state", kind=entity_pb2.ENTITY_KIND_PLACE,
            name="Georgia (U.S. state)", aliases=["Georgia"])), timeout=10)
    return "Georgia"


def test_an_ambiguous_name_lists_the_candidates(server, ambiguous_georgia):
    run = entente(server, "show", ambiguous_georgia, check=2)
    assert '"Georgia" names 2 entities' in run.stderr
    assert "GEO (Georgia, STATE)" in run.stderr
    assert "georgia_us_state (Georgia (U.S. state), PLACE)" in run.stderr
    assert run.stdout == ""
    # Either id settles it.
    assert re.match(r"id +GEO\n", entente(server, "show", "GEO", check=0).stdout)


def test_usage_errors_exit_2_naming_the_problem(server):
    cases = [
        (["timeline", "Narnia"], 'no entity is called "Narnia"'),
        (["timeline", "Iran", "--from", "2014-02-30"], '--from: "2014-02-30" is not a date'),
        (["timeline", "Iran", "--from", "2024", "--to", "2023"], "--to: 2023 is before --from 2024"),
        (["timeline", "Iran", "--types", "vis,bogus"], '--types: "bogus" is not one of'),
        (["neighbors", "Iran", "--hops", "9"], '--hops: "9" is not a whole number in 1..6'),
        (["path", "Iran"], "missing FROM TO"),
        (["path", "Iran", "Russia", "--since", "2020"], "--since needs --time-respecting"),
        (["neighbors", "Iran", "--export", "svg", "x.svg"], "--export"),
        (["timline", "Iran"], 'unknown command "timline"'),
        (["timeline", "Iran", "--bogus"], 'unknown flag "--bogus"'),
        (["timeline", "Iran", "--include-internal"], "--include-internal needs --roll-up"),
        (["timeline", "Iran", "Russia", "--roll-up", "--include-internal"],
         "--include-internal: only for the timeline of one entity"),
        (["snapshot", "Iran", "Russia", "--roll-up", "--as-of", "yesterday"], '--as-of: "yesterday"'),
        (["diff", "Iran", "Russia", "--roll-up=yes"], "--roll-up takes no value"),
    ]
    for args, message in cases:
        run = entente(server, *args)
        assert run.returncode == 2, (args, run.stderr)
        assert message in run.stderr, (args, run.stderr)
        assert run.stdout == "", args


def test_every_query_command_takes_roll_up_and_as_of(server):
    for command in ("timeline", "neighbors", "path", "snapshot", "diff"):
        text = entente(server, "help", command, check=0).stdout
        assert re.search(r"^  --roll-up +count actors as the states", text, re.M), text
        assert re.search(r"^  --as-of DATE\|TIME ", text, re.M), text
    assert re.search(r"^  --include-internal ", entente(server, "help", "timeline",
                                                          check=0).stdout, re.M)
    # Rolled up, the seed facts between the two states are there, each with the entities
    # its participants counted as, and the tables show both levels.
    run = entente(server, "--json", "timeline", "Iran", "Russia", "--from", "2025-01",
                  "--to", "2025-01", "--roll-up", check=0)
    facts = [f for line in run.stdout.splitlines() for f in json.loads(line).get("facts", [])]
    assert facts and all(len(f["rolledUpParticipants"]) == len(f["fact"]["participants"])
                         for f in facts)
    header = entente(server, "timeline", "Iran", "Russia", "--from", "2025-01", "--to",
                     "2025-01", "--roll-up", check=0).stdout.splitlines()[0]
    assert "ROLLED UP" in header and "ACTORS" in header and "PARTIES" not in header
    run = entente(server, "snapshot", "Iran", "Russia", "--at", "2025-02", "--roll-up",
                  "--as-of", "2000-01-01", check=0)
    assert "(actors rolled up to their states)" in run.stdout.splitlines()[0]
    assert "Agreements in force (none)" in run.stdout  # the store knew nothing then
    run = entente(server, "diff", "Iran", "Russia", "--from", "2021", "--to", "2025",
                  "--roll-up", check=0)
    assert "Agreements in force: 1 added, 0 removed" in run.stdout
    assert "ROLLED UP" in run.stdout


def test_server_errors_exit_1(server, tmp_path):
    # Nothing listens on port 1.
    run = entente("127.0.0.1:1", "--timeout", "2", "stats")
    assert run.returncode == 1
    assert "cannot reach 127.0.0.1:1" in run.stderr
    # A fact id the store does not hold.
    run = entente(server, "show", "0" * 32)
    assert run.returncode == 1 and "NOT_FOUND" in run.stderr
    # A file that cannot be written.
    run = entente(server, "neighbors", "Iran", "--export", "dot", str(tmp_path / "no" / "x.dot"))
    assert run.returncode == 1 and "--export: cannot write" in run.stderr


# --- JSON ------------------------------------------------------------------------------

def test_json_round_trips_through_the_proto_json_mapping(server):
    commands = [
        (["timeline", "Iran", "Russia", "--from", "2001", "--to", "2025"],
         query_service_pb2.GetTimelineResponse),
        (["neighbors", "Iran", "--hops", "2"], query_service_pb2.GetNeighborhoodResponse),
        (["path", "North Korea", "Iran", "--k", "3"], query_service_pb2.FindPathsResponse),
        (["snapshot", "Iran", "Russia", "--at", "2025-02"],
         query_service_pb2.GetRelationshipStateResponse),
        (["diff", "Iran", "Russia", "--from", "2021", "--to", "2025"],
         query_service_pb2.DiffRelationshipResponse),
        (["resolve", "Ir"], read_service_pb2.ResolveEntityResponse),
        (["show", "Tehran"], entity_pb2.Entity),
        (["stats"], admin_service_pb2.GetStatsResponse),
    ]
    for args, message_type in commands:
        run = entente(server, "--json", *args, check=0)
        lines = run.stdout.splitlines()
        assert lines, args
        for line in lines:
            round_trips(line, message_type)


def test_json_timeline_streams_one_message_per_line(server):
    run = entente(server, "--json", "timeline", "Iran", check=0)
    messages = [round_trips(l, query_service_pb2.GetTimelineResponse)
                for l in run.stdout.splitlines()]
    merged = query_service_pb2.GetTimelineResponse()
    for message in messages:
        merged.MergeFrom(message)
    # The summary comes last and counts what the lines carried.
    assert messages[-1].HasField("summary")
    assert merged.summary.streamed_facts == len(merged.facts) > 0
    assert all(r.fact.HasField("valid_time") for r in merged.facts)
    assert fact_pb2.FACT_TYPE_AGREEMENT_SIGNED in {r.fact.type for r in merged.facts}


# --- export ----------------------------------------------------------------------------

def test_exported_graphml_opens_in_networkx_with_the_counts_printed(server, tmp_path):
    path = tmp_path / "iran.graphml"
    run = entente(server, "neighbors", "Iran", "--hops", "2", "--from", "2021", "--to", "2025",
                  "--export", "graphml", str(path), check=0)
    # "... graph: 41 entities, 120 facts"
    entities, facts = map(int, re.search(r"graph: (\d+) entities, (\d+) facts",
                                         run.stdout).groups())
    table_rows = len(run.stdout.splitlines()) - 2  # header and the summary line
    assert entities == table_rows + 1  # the neighbors and Iran itself
    graph = nx.read_graphml(path)
    assert graph.number_of_nodes() == entities
    assert graph.number_of_edges() == facts
    assert graph.nodes["IRN"]["name"] == "Iran"
    assert graph.nodes["RUS"]["kind"] == "STATE"
    assert all(re.fullmatch(r"[0-9a-f]{32}", d["fact_id"])
               for _, _, d in graph.edges(data=True))


def test_path_and_timeline_export_graphml_and_dot(server, tmp_path):
    for args in (["path", "North Korea", "Iran", "--k", "3"],
                 ["timeline", "Iran", "Russia", "--from", "2021", "--to", "2022"]):
        graphml = tmp_path / "result.graphml"
        run = entente(server, *args, "--export", "graphml", str(graphml), check=0)
        nodes, edges = map(int, re.search(r"(\d+) entities, (\d+) facts", run.stderr).groups())
        graph = nx.read_graphml(graphml)
        assert (graph.number_of_nodes(), graph.number_of_edges()) == (nodes, edges), args
        assert edges > 0, args
        dot = tmp_path / "result.dot"
        run = entente(server, *args, "--export", "dot", str(dot), check=0)
        text = dot.read_text()
        assert text.startswith("digraph"), text[:100]
        assert len(re.findall(r"^\S+->\S+ +\[", text, re.M)) == edges, args


def test_the_readme_cpp_client_example_runs(server):
    run = subprocess.run([CLIENT_EXAMPLE, server], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    years = [line.split()[0] for line in run.stdout.splitlines()]
    assert years[0] == "2001" and "2025" in years, run.stdout
