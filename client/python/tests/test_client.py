"""entente_client against a real entented on the seed graph.

Run through CTest (python_client_test); the `server` fixture is in conftest.py.
"""

import datetime

import pytest

import entente_client
from entente.v1 import time_pb2
from entente_fixtures import running_server


@pytest.fixture(scope="session")
def client(server):
    with entente_client.connect(server, timeout=10.0) as c:
        yield c


@pytest.mark.parametrize("text", ["Tehran", "Iran", "IRN"])
def test_resolve(client, text):
    matches = client.resolve(text)
    assert matches[0].entity.id == "IRN"
    df = matches.to_dataframe()
    assert list(df.columns) == ["id", "name", "kind", "match_kind", "matched_text"]
    assert df["id"].iloc[0] == "IRN" and df["kind"].iloc[0] == "STATE"


def test_entity_by_name(client):
    assert client.entity("Tehran").id == "IRN"


def test_timeline_iran_russia(client):
    tl = client.timeline("Iran", "Russia", since="2001", until="2025", by="year")
    assert len(tl.facts) > 0
    assert tl.summary.total_facts == len(tl.facts) and not tl.summary.truncated
    years = [b.period.year for b in tl.buckets]
    assert years == sorted(years) and 2001 <= years[0] and years[-1] <= 2025
    assert all(b.period.precision == time_pb2.PRECISION_YEAR for b in tl.buckets)
    assert sum(b.fact_count for b in tl.buckets) == len(tl.facts)
    df = tl.to_dataframe()
    assert list(df.columns) == ["fact_id", "type", "start", "end", "participants", "summary",
                                "source_id"]
    assert len(df) == len(tl.facts)
    assert all({"IRN", "RUS"} <= set(p) for p in df["participants"])
    buckets = tl.buckets.to_dataframe()
    assert len(buckets) == len(tl.buckets) and "goldstein_mean" in buckets.columns


def test_timeline_by_month_and_type(client):
    tl = client.timeline("IRN", "RUS", since="2025-01", until="2025-12-31", by="month",
                         types=["AGREEMENT_SIGNED"])
    assert [f.fact.type for f in tl.facts] and all(
        row == "AGREEMENT_SIGNED" for row in tl.to_dataframe()["type"])
    assert all(b.period.precision == time_pb2.PRECISION_MONTH for b in tl.buckets)


def test_neighbors_two_hops(client):
    hood = client.neighbors("Iran", hops=2)
    assert "RUS" in hood.ids
    df = hood.to_dataframe()
    assert list(df.columns) == ["id", "name", "kind", "distance", "fact_count"]
    assert len(df) == len(hood.neighbors) and df["distance"].max() <= 2
    assert len(hood.facts.to_dataframe()) == len(hood.facts) > 0


def test_path_north_korea_iran(client):
    paths = client.path("North Korea", "Iran")
    assert len(paths) == 1
    path = paths[0]
    assert path.entity_ids[0] == "PRK" and path.entity_ids[-1] == "IRN"
    assert len(path.to_dataframe()) == len(path.entity_ids) - 1
    assert len(path.facts.to_dataframe()) > 0
    assert len(client.path("PRK", "IRN", k=3)) > 1
    assert client.path("PRK", "IRN", time_respecting=True, since="2020")


def test_relationship_and_diff(client):
    state = client.relationship("Iran", "Russia", at="2025-02")
    assert state.at.year == 2025 and state.at.month == 2
    assert state.at.precision == time_pb2.PRECISION_MONTH
    assert len(state.agreements) > 0
    diff = client.diff("IRN", "RUS", "2021", "2025")
    assert len(diff.agreements.added) > 0


def test_stats(client):
    stats = client.stats()
    assert stats.entity_count > 0 and stats.fact_count > 0


def test_unknown_entity_names_it(client):
    with pytest.raises(ValueError, match="Atlantis"):
        client.timeline("Atlantis")


def test_server_error_becomes_entente_error(client):
    with pytest.raises(entente_client.EntenteError) as raised:
        client.neighbors("IRN", hops=99)
    assert raised.value.code.name == "INVALID_ARGUMENT"
    assert "hops" in raised.value.message


def test_dates():
    assert entente_client.to_date("2001").precision == time_pb2.PRECISION_YEAR
    month = entente_client.to_date("2001-03")
    assert (month.year, month.month, month.day) == (2001, 3, 0)
    assert month.precision == time_pb2.PRECISION_MONTH
    assert entente_client.date_str(entente_client.to_date("2001-03-15")) == "2001-03-15"
    with pytest.raises(ValueError):
        entente_client.to_date("March 2001")


def test_retries_then_raises_unavailable():
    with entente_client.connect("127.0.0.1:1", timeout=2.0) as c:
        c.backoff = 0.01
        with pytest.raises(entente_client.EntenteError) as raised:
            c.stats()
    assert raised.value.code.name == "UNAVAILABLE"


# --- roll-up to states, as_of, import ---------------------------------------------------

# ICEWS rows between sub-state actors of Iran and Russia (the importer affiliates
# "Sector (Country)" names to the state), one internal to Russia, one whose country is no
# state; line 2 of the file is the first event.
_EVENTS = """date\tsource\trelation\ttarget
2014-03-01\tForeign Affairs (Russia)\tMake a visit\tIran
2014-03-02\tGovernment (Iran)\tHost a visit\tForeign Affairs (Russia)
2014-06-01\tMilitary (Russia)\tMake pessimistic comment\tGovernment (Russia)
2014-07-01\tCitizen (Atlantis)\tMake an appeal or request\tIran
"""


@pytest.fixture(scope="module")
def rolled(tmp_path_factory):
    """A server of its own (imports change counts the other tests check) with _EVENTS
    imported through the client; yields (client, the import's source id)."""
    path = tmp_path_factory.mktemp("events") / "sectors.tsv"
    path.write_text(_EVENTS)
    with running_server() as address, entente_client.connect(address) as c:
        summary = c.import_file(path)
        # Four events, and the affiliations of the new sector actors.
        assert (summary.lines, summary.rejected) == (4, 0) and summary.facts_created >= 4, \
            summary
        assert summary.source_id == "sectors.tsv"
        yield c, summary.source_id


def _imported(df, source_id):
    return df[df["source_id"] == source_id].sort_values("start").reset_index(drop=True)


def test_rolled_up_timeline_counts_the_actors_as_their_states(rolled):
    c, source = rolled
    plain = c.timeline("Iran", "Russia", since="2014", until="2014")
    assert _imported(plain.to_dataframe(), source).empty  # no Iran-Russia fact as such
    tl = c.timeline("Iran", "Russia", since="2014", until="2014", by="month", roll_up=True)
    assert tl.rolled_up
    df = _imported(tl.to_dataframe(), source)
    assert list(df.columns) == ["fact_id", "type", "start", "end", "participants", "summary",
                                "source_id", "states", "actors"]
    assert list(df["start"]) == ["2014-03-01", "2014-03-02"]
    assert all(sorted(states) == ["IRN", "RUS"] for states in df["states"])
    # Each participant paired with the state it counted as: Iran as itself, the Russian
    # ministry as Russia.
    for actors, states in zip(df["actors"], df["states"]):
        pairs = dict(zip(actors, states))
        assert pairs.pop("IRN", "IRN") == "IRN"
        assert "RUS" in pairs.values() and "RUS" not in pairs
    assert all(a == p for a, p in zip(df["actors"], df["participants"]))
    march = [b for b in tl.buckets if (b.period.year, b.period.month) == (2014, 3)]
    assert march and march[0].fact_count >= 2


def test_internal_facts_only_when_asked(rolled):
    c, source = rolled
    internal = "Military (Russia): Make pessimistic comment: Government (Russia)"
    left_out = _imported(c.timeline("Russia", since="2014", until="2014",
                                    roll_up=True).to_dataframe(), source)
    assert internal not in list(left_out["summary"])
    assert "Foreign Affairs (Russia): Make a visit: Iran" in list(left_out["summary"])
    included = _imported(c.timeline("Russia", since="2014", until="2014", roll_up=True,
                                    include_internal=True).to_dataframe(), source)
    assert list(included[included["summary"] == internal]["states"]) == [["RUS", "RUS"]]
    # Plain, the ministries' facts are not Russia's.
    assert internal not in list(c.timeline("Russia", since="2014").to_dataframe()["summary"])
    with pytest.raises(ValueError, match="roll_up"):
        c.timeline("Russia", include_internal=True)


def test_rolled_up_neighbors_and_paths_name_the_actors(rolled):
    c, _ = rolled
    hood = c.neighbors("Russia", since="2014-01", until="2014-12", roll_up=True)
    assert "IRN" in hood.ids
    facts = hood.facts.to_dataframe()
    assert {"from_actors", "to_actors"} <= set(facts.columns)
    to_iran = facts[(facts["from_id"] == "RUS") & (facts["to_id"] == "IRN") |
                    (facts["from_id"] == "IRN") & (facts["to_id"] == "RUS")]
    assert len(to_iran) >= 2
    assert all(len(row.from_actors) > 0 and len(row.to_actors) > 0
               for row in to_iran.itertuples())
    paths = c.paths("Russia", "Iran", since="2014", until="2014", roll_up=True)
    assert paths and paths[0].entity_ids == ["RUS", "IRN"]
    assert {"from_actors", "to_actors"} <= set(paths[0].facts.to_dataframe().columns)


def test_as_of_before_the_store_knew_anything(rolled):
    c, _ = rolled
    before = "2000-01-01"
    assert len(c.timeline("Iran", "Russia", roll_up=True, as_of=before).facts) == 0
    assert c.neighbors("Iran", as_of=before, roll_up=True).ids == []
    assert c.path("Iran", "Russia", as_of=before) == []
    assert len(c.relationship("Iran", "Russia", at="2025-02", as_of=before).agreements) == 0
    assert len(c.relationship("Iran", "Russia", at="2025-02", roll_up=True).agreements) > 0
    assert len(c.diff("Iran", "Russia", "2021", "2025", as_of=before).agreements.added) == 0
    assert len(c.diff("Iran", "Russia", "2021", "2025", roll_up=True).agreements.added) > 0


def test_timestamps():
    end_of_day = entente_client.to_timestamp("2025-02-01")
    assert end_of_day.ToJsonString() == "2025-02-01T23:59:59Z"
    assert entente_client.to_timestamp("2025-02-01T12:00:00Z").seconds == \
        end_of_day.seconds - 12 * 3600 + 1
    assert entente_client.to_timestamp(datetime.datetime(2025, 2, 1, 12)).seconds == \
        end_of_day.seconds - 12 * 3600 + 1
    with pytest.raises(ValueError, match="as_of"):
        entente_client.to_timestamp("February 2025")
