"""entente_client against a real entented on the seed graph.

Run through CTest (python_client_test); the `server` fixture is in conftest.py.
"""

import pytest

import entente_client
from entente.v1 import time_pb2


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
