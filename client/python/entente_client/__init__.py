"""A thin Python client for Entente over the generated gRPC stubs.

    import entente_client
    c = entente_client.connect("127.0.0.1:50051")
    c.timeline("Iran", "Russia", since="2001", until="2025").to_dataframe()

Entity arguments take ids ("IRN") or names and aliases ("Tehran"); dates take
"2001", "2001-03" or "2001-03-15" (year, month or day precision). Every call
has a deadline; reads are retried on UNAVAILABLE. Server errors raise
EntenteError with the status code and the server's message.

The queries take `roll_up=True` to count every actor as the state it stood for on
each fact's date ("Foreign Affairs (Russia)" as Russia), and `as_of=` to answer as
the store knew it then ("2025-02-01", a datetime or a Timestamp).
"""

import datetime
import re
import time

import grpc
from google.protobuf import timestamp_pb2

from entente.v1 import (admin_service_pb2, admin_service_pb2_grpc, entity_pb2, fact_pb2,
                        query_service_pb2, query_service_pb2_grpc, read_service_pb2,
                        read_service_pb2_grpc, time_pb2, write_service_pb2,
                        write_service_pb2_grpc)

__all__ = ["connect", "Client", "EntenteError", "Rows", "Timeline", "Neighborhood", "Path",
           "to_date", "date_str", "to_timestamp"]


class EntenteError(Exception):
    """A failed call: `code` is the grpc.StatusCode, `message` the server's text."""

    def __init__(self, code, message):
        super().__init__(f"{code.name}: {message}")
        self.code = code
        self.message = message


# --- dates and enums -------------------------------------------------------

_DATE = re.compile(r"^(\d{1,4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?$")


def to_date(value):
    """"2001", "2001-03", "2001-03-15" (or an int year) -> entente.v1.Date."""
    if isinstance(value, time_pb2.Date):
        return value
    match = _DATE.match(str(value).strip())
    if not match:
        raise ValueError(f"bad date {value!r}: expected YYYY, YYYY-MM or YYYY-MM-DD")
    year, month, day = (int(g) if g else 0 for g in match.groups())
    precision = (time_pb2.PRECISION_DAY if day else
                 time_pb2.PRECISION_MONTH if month else time_pb2.PRECISION_YEAR)
    return time_pb2.Date(year=year, month=month, day=day, precision=precision)


def date_str(date):
    """entente.v1.Date -> "2001", "2001-03" or "2001-03-15"; None when unset."""
    if date is None or date.year == 0:
        return None
    if date.precision == time_pb2.PRECISION_YEAR or date.month == 0:
        return f"{date.year:04d}"
    if date.precision == time_pb2.PRECISION_MONTH or date.day == 0:
        return f"{date.year:04d}-{date.month:02d}"
    return f"{date.year:04d}-{date.month:02d}-{date.day:02d}"


def _window(since, until):
    window = time_pb2.TimeWindow()
    if since is not None:
        getattr(window, "from").CopyFrom(to_date(since))  # `from` is a Python keyword
    if until is not None:
        window.to.CopyFrom(to_date(until))
    return window


def to_timestamp(value):
    """An as_of value -> google.protobuf.Timestamp: a Timestamp, a datetime (naive is UTC),
    "YYYY-MM-DD" (the end of that day, UTC, as `entente --as-of` reads it) or an RFC 3339
    time ("2025-02-01T12:00:00Z")."""
    if isinstance(value, timestamp_pb2.Timestamp):
        return value
    if isinstance(value, datetime.datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=datetime.timezone.utc)
        return timestamp_pb2.Timestamp(seconds=int(moment.timestamp()))
    if isinstance(value, datetime.date):
        value = value.isoformat()
    text = str(value).strip()
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        day = datetime.datetime.strptime(text, "%Y-%m-%d").replace(tzinfo=datetime.timezone.utc)
        # The store as it was at the end of that day.
        return timestamp_pb2.Timestamp(seconds=int(day.timestamp()) + 86400 - 1)
    stamp = timestamp_pb2.Timestamp()
    try:
        stamp.FromJsonString(text)
    except ValueError:
        raise ValueError(f"bad as_of {value!r}: expected YYYY-MM-DD, an RFC 3339 time or a "
                         "datetime") from None
    return stamp


def _roll_up(roll_up):
    return query_service_pb2.ROLL_UP_STATE if roll_up else query_service_pb2.ROLL_UP_UNSPECIFIED


def _enum_name(enum, number, prefix):
    name = enum.Name(number) if number in enum.values() else str(number)
    return name[len(prefix):] if name.startswith(prefix) else name


def _fact_types(types):
    """"VISIT", "FACT_TYPE_VISIT" or numbers -> FactType numbers."""
    if types is None:
        return []
    if isinstance(types, (str, int)):
        types = [types]
    out = []
    for t in types:
        if isinstance(t, int):
            out.append(t)
            continue
        name = t.upper()
        try:
            out.append(fact_pb2.FactType.Value(name if name.startswith("FACT_TYPE_")
                                               else "FACT_TYPE_" + name))
        except ValueError:
            raise ValueError(f"unknown fact type {t!r}") from None
    return out


def _span(span):
    """(start, end) as date strings; "open" for an open bound, None when unset."""
    start = "open" if span.open_start else date_str(span.start)
    end = "open" if span.open_end else date_str(span.end)
    return start, end


# --- results ---------------------------------------------------------------

class Rows(list):
    """A list of protos that becomes a pandas DataFrame, one row per item."""

    def __init__(self, items, columns, row):
        super().__init__(items)
        self.columns = columns
        self._row = row

    def to_dataframe(self):
        import pandas as pd
        return pd.DataFrame([self._row(item) for item in self], columns=self.columns)


def _match_rows(matches):
    return Rows(matches, ["id", "name", "kind", "match_kind", "matched_text"],
                lambda m: [m.entity.id, m.entity.name,
                           _enum_name(entity_pb2.EntityKind, m.entity.kind, "ENTITY_KIND_"),
                           _enum_name(read_service_pb2.MatchKind, m.match_kind, "MATCH_KIND_"),
                           m.matched_text])


def _record_rows(records, rolled_up=False):
    """Facts, one row each. Rolled up, two more columns pair each participant with what it
    counted as: `states` (rolled_up_participants, in the order of the participants) and
    `actors` (the participants themselves), so every count can be traced to its actors."""
    def row(r):
        f = r.fact
        start, end = _span(f.valid_time)
        cells = [f.id, _enum_name(fact_pb2.FactType, f.type, "FACT_TYPE_"), start, end,
                 [p.entity_id for p in f.participants], f.summary, f.provenance.source_id]
        if rolled_up:
            actors = [p.entity_id for p in f.participants]
            # A record without rolled_up_participants counted as itself.
            states = [p.entity_id for p in r.rolled_up_participants] or actors
            cells += [states, actors]
        return cells
    columns = ["fact_id", "type", "start", "end", "participants", "summary", "source_id"]
    return Rows(records, columns + (["states", "actors"] if rolled_up else []), row)


def _edge_rows(edges, rolled_up=False):
    """FactEdges, one row each; rolled up, with the actors behind each end
    (`from_actors`, `to_actors`)."""
    def row(e):
        start, end = _span(e.valid_time)
        cells = [e.fact_id, _enum_name(fact_pb2.FactType, e.type, "FACT_TYPE_"), start, end,
                 e.from_entity_id, e.to_entity_id, e.goldstein]
        if rolled_up:
            cells += [list(e.from_actor_ids), list(e.to_actor_ids)]
        return cells
    columns = ["fact_id", "type", "start", "end", "from_id", "to_id", "goldstein"]
    return Rows(edges, columns + (["from_actors", "to_actors"] if rolled_up else []), row)


class Timeline:
    """GetTimeline merged: `facts` (FactRecords), `buckets`, `summary`; `rolled_up` when
    the actors were rolled up to their states (the facts' DataFrame then has `states` and
    `actors` columns)."""

    def __init__(self, response, rolled_up=False):
        self.proto = response
        self.rolled_up = rolled_up
        self.facts = _record_rows(response.facts, rolled_up)
        self.buckets = Rows(
            response.buckets,
            ["period", "fact_count", "goldstein_total", "goldstein_mean", "scored_fact_count",
             "counts_by_type"],
            lambda b: [date_str(b.period), b.fact_count, b.goldstein_total, b.goldstein_mean,
                       b.scored_fact_count,
                       {k.removeprefix("FACT_TYPE_"): v for k, v in b.counts_by_type.items()}])
        self.summary = response.summary

    def to_dataframe(self):
        """The facts, one row each."""
        return self.facts.to_dataframe()

    def __repr__(self):
        return (f"<Timeline {len(self.facts)} facts, {len(self.buckets)} buckets, "
                f"total {self.summary.total_facts}>")


class Neighborhood:
    """GetNeighborhood: `neighbors`, the connecting `facts` (FactEdges), `reached_count`."""

    def __init__(self, response, rolled_up=False):
        self.proto = response
        self.rolled_up = rolled_up
        self.neighbors = Rows(
            response.neighbors, ["id", "name", "kind", "distance", "fact_count"],
            lambda n: [n.entity_id, n.name,
                       _enum_name(entity_pb2.EntityKind, n.kind, "ENTITY_KIND_"), n.distance,
                       n.fact_count])
        self.facts = _edge_rows(response.facts, rolled_up)
        self.reached_count = response.reached_count
        self.facts_truncated = response.facts_truncated

    @property
    def ids(self):
        return [n.entity_id for n in self.neighbors]

    def to_dataframe(self):
        """The neighbors, one row each."""
        return self.neighbors.to_dataframe()

    def __repr__(self):
        return f"<Neighborhood {len(self.neighbors)} of {self.reached_count} reached>"


class Path:
    """One path: `entity_ids`, `hops` (PathHops) and the `facts` of every hop."""

    def __init__(self, path, rolled_up=False):
        self.proto = path
        self.rolled_up = rolled_up
        self.entity_ids = list(path.entity_ids)
        self.hops = Rows(path.hops, ["from_id", "to_id", "fact_count", "day"],
                         lambda h: [h.from_entity_id, h.to_entity_id, h.fact_count,
                                    date_str(h.day)])
        self.facts = _edge_rows([f for h in path.hops for f in h.facts], rolled_up)

    def to_dataframe(self):
        """The hops, one row each."""
        return self.hops.to_dataframe()

    def __repr__(self):
        return "<Path " + " -> ".join(self.entity_ids) + ">"


# --- the client ------------------------------------------------------------

def connect(addr="127.0.0.1:50051", timeout=10.0, token=None, root_certificates=None,
            private_key=None, certificate_chain=None):
    """A Client of the server at `addr`; `timeout` is each call's deadline in seconds.

    Access control (docs/security.md): `token` is a bearer token sent with every call.
    With `root_certificates` the channel is TLS and the server's certificate must chain
    to them; `private_key` and `certificate_chain` add a client certificate. Each is PEM
    bytes or the path of a PEM file. A token is sent over TLS or to a loopback address
    only, never in the clear across a network.
    """
    if root_certificates is None:
        if private_key is not None or certificate_chain is not None:
            raise ValueError("a client certificate needs TLS: give root_certificates too")
        if token and not _is_loopback(addr):
            raise ValueError(f"a bearer token goes to {addr} over TLS only: "
                             "give root_certificates")
        channel = grpc.insecure_channel(addr)
    else:
        credentials = grpc.ssl_channel_credentials(
            _pem(root_certificates), _pem(private_key), _pem(certificate_chain))
        channel = grpc.secure_channel(addr, credentials)
    return Client(channel, timeout=timeout, token=token)


def _pem(value):
    """PEM bytes, from bytes or a file path."""
    if value is None or isinstance(value, bytes):
        return value
    with open(value, "rb") as f:
        return f.read()


def _is_loopback(addr):
    host = addr.rsplit(":", 1)[0]
    return host in ("localhost", "[::1]") or host.startswith("127.")


class Client:
    """Entente's queries as Python calls. Use as a context manager or call close()."""

    def __init__(self, channel, timeout=10.0, attempts=3, backoff=0.1, token=None):
        self._channel = channel
        self._metadata = (("authorization", f"Bearer {token}"),) if token else None
        self.timeout = timeout
        self.attempts = attempts
        self.backoff = backoff
        self._read = read_service_pb2_grpc.ReadServiceStub(channel)
        self._query = query_service_pb2_grpc.QueryServiceStub(channel)
        self._admin = admin_service_pb2_grpc.AdminServiceStub(channel)
        self._write = write_service_pb2_grpc.WriteServiceStub(channel)
        self._ids = {}  # name -> id, from earlier resolves

    def close(self):
        self._channel.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _call(self, method, request, stream=False):
        """Calls with a deadline, retrying UNAVAILABLE with doubling backoff."""
        for attempt in range(self.attempts):
            try:
                if stream:
                    return list(method(request, timeout=self.timeout, metadata=self._metadata))
                return method(request, timeout=self.timeout, metadata=self._metadata)
            except grpc.RpcError as e:
                if e.code() == grpc.StatusCode.UNAVAILABLE and attempt + 1 < self.attempts:
                    time.sleep(self.backoff * 2 ** attempt)
                    continue
                raise EntenteError(e.code(), e.details()) from None

    def _id(self, text):
        """An entity id for an id, name or alias; ValueError when unknown or ambiguous."""
        if text in self._ids:
            return self._ids[text]
        matches = self.resolve(text, limit=20)
        exact = [m for m in matches if m.match_kind == read_service_pb2.MATCH_KIND_EXACT]
        ids = list(dict.fromkeys(m.entity.id for m in exact))
        if text in ids:
            ids = [text]
        if not ids:
            hint = ", ".join(f"{m.entity.id} ({m.entity.name})" for m in matches)
            raise ValueError(f"unknown entity {text!r}" + (f"; did you mean {hint}?" if hint else ""))
        if len(ids) > 1:
            names = ", ".join(f"{m.entity.id} ({m.entity.name})" for m in exact)
            raise ValueError(f"ambiguous entity {text!r}: {names}")
        self._ids[text] = ids[0]
        return ids[0]

    def resolve(self, text, limit=10):
        """Entities matching a name, alias or id: exact matches, else prefix matches."""
        response = self._call(self._read.ResolveEntity,
                              read_service_pb2.ResolveEntityRequest(query=text, limit=limit))
        return _match_rows(response.matches)

    def entity(self, id):
        """The entity (entente.v1.Entity) for an id or name."""
        request = read_service_pb2.GetEntityRequest(id=self._id(id))
        return self._call(self._read.GetEntity, request).entity

    def timeline(self, a, b=None, since=None, until=None, by="year", types=None,
                 roll_up=False, as_of=None, include_internal=False):
        """The facts of `a` (or between `a` and `b`, or a list of entities) in time order,
        with per-year or per-month buckets. `roll_up`: count actors as their states (each
        fact once); `include_internal`: with roll_up and one state, also the facts among its
        own actors."""
        entities = list(a) if isinstance(a, (list, tuple)) else [a]
        if b is not None:
            entities.append(b)
        granularity = {"year": query_service_pb2.GRANULARITY_YEAR,
                       "month": query_service_pb2.GRANULARITY_MONTH}.get(by)
        if granularity is None:
            raise ValueError(f"by must be 'year' or 'month', not {by!r}")
        if include_internal and not roll_up:
            raise ValueError("include_internal needs roll_up=True")
        request = query_service_pb2.GetTimelineRequest(
            entity_ids=[self._id(e) for e in entities], window=_window(since, until),
            types=_fact_types(types), granularity=granularity, roll_up=_roll_up(roll_up),
            include_internal=include_internal)
        if as_of is not None:
            request.as_of.CopyFrom(to_timestamp(as_of))
        merged = query_service_pb2.GetTimelineResponse()
        for message in self._call(self._query.GetTimeline, request, stream=True):
            merged.MergeFrom(message)
        return Timeline(merged, rolled_up=roll_up)

    def neighbors(self, ids, hops=1, since=None, until=None, types=None, limit=100,
                  roll_up=False, as_of=None, max_facts=0):
        """Entities within `hops` of one or more seeds, most connected first; with roll_up,
        the states the actors stood for (the facts' DataFrame names the actors)."""
        seeds = [ids] if isinstance(ids, str) else list(ids)
        request = query_service_pb2.GetNeighborhoodRequest(
            entity_ids=[self._id(s) for s in seeds], hops=hops, limit=limit,
            max_facts=max_facts, filter=self._filter(since, until, types, roll_up, as_of))
        return Neighborhood(self._call(self._query.GetNeighborhood, request), rolled_up=roll_up)

    neighborhood = neighbors

    def path(self, a, b, time_respecting=False, since=None, until=None, k=1, max_hops=6,
             types=None, roll_up=False, as_of=None):
        """Paths from `a` to `b` (shortest; k shortest when k > 1; or time-respecting),
        as a list of Path, empty when they are not connected; with roll_up, paths of
        states whose facts name the actors behind each hop."""
        if time_respecting:
            mode = query_service_pb2.PATH_MODE_TIME_RESPECTING
        elif k > 1:
            mode = query_service_pb2.PATH_MODE_K_SHORTEST
        else:
            mode = query_service_pb2.PATH_MODE_SHORTEST
        request = query_service_pb2.FindPathsRequest(
            from_entity_id=self._id(a), to_entity_id=self._id(b), mode=mode,
            k=k if mode == query_service_pb2.PATH_MODE_K_SHORTEST else 0, max_hops=max_hops,
            filter=self._filter(since, until, types, roll_up, as_of))
        return [Path(p, rolled_up=roll_up)
                for p in self._call(self._query.FindPaths, request).paths]

    paths = path

    def relationship(self, a, b, at=None, roll_up=False, as_of=None):
        """The state (entente.v1.RelationshipState) of a pair at the end of `at`
        (default: this year); with roll_up, the facts of the actors that stood for either
        state count too (records carry rolled_up_participants)."""
        request = query_service_pb2.GetRelationshipStateRequest(
            entity_id=self._id(a), other_entity_id=self._id(b),
            at=to_date(at if at is not None else time.gmtime().tm_year),
            roll_up=_roll_up(roll_up))
        if as_of is not None:
            request.as_of.CopyFrom(to_timestamp(as_of))
        return self._call(self._query.GetRelationshipState, request).state

    def diff(self, a, b, since, until, roll_up=False, as_of=None):
        """What changed in a relationship between two dates (DiffRelationshipResponse)."""
        request = query_service_pb2.DiffRelationshipRequest(
            entity_id=self._id(a), other_entity_id=self._id(b), to=to_date(until),
            roll_up=_roll_up(roll_up))
        getattr(request, "from").CopyFrom(to_date(since))
        if as_of is not None:
            request.as_of.CopyFrom(to_timestamp(as_of))
        return self._call(self._query.DiffRelationship, request)

    def import_file(self, path, source_id=None, strict=False, timeout=3600.0,
                    chunk_bytes=1 << 20):
        """Imports an ICEWS TSV, CSV or JSON Lines file (by its extension) into the server,
        as `entente import` does, and returns the ImportResponse summary. Importing the same
        file again creates nothing. Not retried (the file is streamed once)."""
        def messages():
            yield write_service_pb2.ImportRequest(header=write_service_pb2.ImportHeader(
                file_name=str(path), source_id=source_id or "", strict=strict))
            with open(path, "rb") as f:
                while chunk := f.read(chunk_bytes):
                    yield write_service_pb2.ImportRequest(chunk=chunk)
        try:
            return self._write.Import(messages(), timeout=timeout, metadata=self._metadata)
        except grpc.RpcError as e:
            raise EntenteError(e.code(), e.details()) from None

    def stats(self):
        """Store counts (entente.v1.GetStatsResponse)."""
        return self._call(self._admin.GetStats, admin_service_pb2.GetStatsRequest())

    @staticmethod
    def _filter(since, until, types, roll_up=False, as_of=None):
        graph_filter = query_service_pb2.GraphFilter(window=_window(since, until),
                                                     types=_fact_types(types),
                                                     roll_up=_roll_up(roll_up))
        if as_of is not None:
            graph_filter.as_of.CopyFrom(to_timestamp(as_of))
        return graph_filter
