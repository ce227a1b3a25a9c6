"""The malformed-request corpus (tests/malformed/requests.jsonl) against a real entented.

Each corpus line names an RPC, a request (or a stream of them) and the status it must get:
its code, and the field its message must open with. After every entry the server must still
answer, and when the corpus is done it must hold exactly what it held before: a refused
request stores nothing.

The server runs with some limits lowered (--limit) so that the corpus also shows they are
configurable and enforced: max_hops 4, max_k 5, max_stream_facts 5, max_import_chunk_bytes
4096, and --max-message-bytes 2500000.

Values in a request may be macros, expanded before the request is built:
  {"$repeat": S, "times": N}         S repeated N times (huge strings)
  {"$repeat_base64": S, "times": N}  the same, base64-encoded for a bytes field
  {"$list": X, "times": N}           a list of N copies of X (long lists, oversized streams)
  {"$invalid_utf8": true}            a string whose bytes are not UTF-8 (put in the wire
                                     bytes after serializing, as a client in another
                                     language could send them)
An entry's "set" sets fields after the request is built, for values its JSON form cannot
hold ({"as_of.seconds": 999999999999}: a Timestamp past the year 9999).
"""

import base64
import copy
import json
import os

import grpc
import pytest
from google.protobuf import json_format, symbol_database

# Loads every message and service of the API into the default pool.
from entente.v1 import (admin_service_pb2, query_service_pb2,  # noqa: F401
                        read_service_pb2, write_service_pb2)

from entente_fixtures import running_server

CORPUS = os.path.join(os.path.dirname(__file__), "malformed", "requests.jsonl")
LIMIT_ARGS = ["--limit", "max_hops=4", "--limit", "max_k=5", "--limit", "max_stream_facts=5",
              "--limit", "max_import_chunk_bytes=4096", "--max-message-bytes", "2500000"]

# A placeholder of the same length as its replacement, so that every length prefix in the
# serialized message stays right when the bytes are swapped.
UTF8_PLACEHOLDER = "@@NOT-UTF8@@"
INVALID_UTF8 = b"\xff\xfe\xc3\x28\xa0\xa1\xe2\x28\xa1\xf0\x28\x8c"
assert len(UTF8_PLACEHOLDER.encode()) == len(INVALID_UTF8)


def load_corpus():
    with open(CORPUS) as f:
        return [json.loads(line) for line in f if line.strip()]


def expand(value):
    """The value with its macros expanded (see the module's docstring)."""
    if isinstance(value, dict):
        if "$repeat" in value:
            return value["$repeat"] * value["times"]
        if "$repeat_base64" in value:
            return base64.b64encode((value["$repeat_base64"] * value["times"]).encode()).decode()
        if "$list" in value:
            return [expand(copy.deepcopy(value["$list"])) for _ in range(value["times"])]
        if "$invalid_utf8" in value:
            return UTF8_PLACEHOLDER
        return {k: expand(v) for k, v in value.items()}
    if isinstance(value, list):
        return [expand(v) for v in value]
    return value


def request_bytes(message_class, request, settings=None):
    """The request serialized, with the settings made and the invalid UTF-8 put in."""
    message = json_format.ParseDict(expand(request), message_class())
    for path, value in (settings or {}).items():
        *parents, name = path.split(".")
        target = message
        for parent in parents:
            target = getattr(target, parent)
        setattr(target, name, value)
    wire = message.SerializeToString()
    return wire.replace(UTF8_PLACEHOLDER.encode(), INVALID_UTF8)


def call(channel, entry):
    """Makes the entry's call; returns the grpc.RpcError it ended with, or None."""
    service_name, method_name = entry["method"].split("/")
    pool = symbol_database.Default().pool
    method = pool.FindServiceByName(service_name).FindMethodByName(method_name)
    message_class = symbol_database.Default().GetSymbol(method.input_type.full_name)
    path = "/" + entry["method"]
    identity = lambda b: b  # noqa: E731  (requests are serialized here)
    try:
        if "stream" in entry:
            stream = expand(entry["stream"])
            chunks = [request_bytes(message_class, r) for r in stream]
            channel.stream_unary(path, request_serializer=identity,
                                 response_deserializer=identity)(iter(chunks), timeout=30)
        elif entry.get("server_streaming"):
            for _ in channel.unary_stream(path, request_serializer=identity,
                                          response_deserializer=identity)(
                    request_bytes(message_class, entry["request"], entry.get("set")),
                    timeout=30):
                pass
        else:
            channel.unary_unary(path, request_serializer=identity,
                                response_deserializer=identity)(
                request_bytes(message_class, entry["request"], entry.get("set")), timeout=30)
    except grpc.RpcError as error:
        return error
    return None


@pytest.fixture(scope="module")
def channel():
    with running_server(LIMIT_ARGS) as address:
        with grpc.insecure_channel(address) as ch:
            yield ch


def stats(channel):
    response = channel.unary_unary(
        "/entente.v1.AdminService/GetStats",
        request_serializer=lambda m: m.SerializeToString(),
        response_deserializer=admin_service_pb2.GetStatsResponse.FromString)(
            admin_service_pb2.GetStatsRequest(), timeout=30)
    return json_format.MessageToDict(response)


def still_serving(channel):
    """The server answers health checks and a real query."""
    # grpc.health.v1 is not in Debian's python3-grpcio: the messages by hand. An empty
    # HealthCheckRequest is no bytes; the answer SERVING is field 1 = 1.
    identity = lambda b: b  # noqa: E731
    health = channel.unary_unary("/grpc.health.v1.Health/Check", request_serializer=identity,
                                 response_deserializer=identity)(b"", timeout=30)
    assert health == b"\x08\x01", health
    found = read_service_pb2  # the resolve goes through the real lookup path
    stub = channel.unary_unary("/entente.v1.ReadService/ResolveEntity",
                               request_serializer=lambda m: m.SerializeToString(),
                               response_deserializer=found.ResolveEntityResponse.FromString)
    answer = stub(found.ResolveEntityRequest(query="Tehran"), timeout=30)
    assert answer.matches[0].entity.id == "IRN"


ENTRIES = load_corpus()


def test_the_corpus_is_well_formed():
    names = [e["name"] for e in ENTRIES]
    assert len(names) == len(set(names)), "corpus names repeat"
    for e in ENTRIES:
        assert ("request" in e) != ("stream" in e), e["name"]
        assert hasattr(grpc.StatusCode, e["code"]), e["name"]
        assert "field" in e or "contains" in e, e["name"]


@pytest.mark.parametrize("entry", ENTRIES, ids=[e["name"] for e in ENTRIES])
def test_malformed_request(channel, entry):
    before = stats(channel)
    error = call(channel, entry)
    assert error is not None, "the server accepted it"
    message = error.details() or ""
    assert error.code() == getattr(grpc.StatusCode, entry["code"]), message
    if "field" in entry:
        assert message.startswith(entry["field"]), \
            f"the message does not open with {entry['field']!r}: {message!r}"
    if "contains" in entry:
        assert entry["contains"] in message, message
    # Echoed input stays readable: the message is bounded even for megabyte inputs.
    assert len(message) <= 1024, f"a {len(message)}-character message"
    still_serving(channel)
    after = stats(channel)
    # (An Import whose header is valid creates its source before a bad chunk ends it.)
    for counter in ("entityCount", "factCount", "retractedFactCount"):
        assert after.get(counter) == before.get(counter), f"{counter} changed"
