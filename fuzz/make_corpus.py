#!/usr/bin/env python3
"""Writes the request seeds of fuzz/corpus/fuzz_requests: one small valid
request per RPC (and a few invalid ones), in the fuzz target's input form —
a first byte naming the RPC (its index in Methods(), fuzz/fuzz_requests.cc),
then the serialized request; for the client-streaming RPCs, varint-length-
delimited messages.

Run after a normal build, which generates the Python messages:
    /usr/bin/python3 fuzz/make_corpus.py build/python fuzz/corpus/fuzz_requests
"""
import os
import sys

sys.path.insert(0, sys.argv[1])
from google.protobuf import json_format  # noqa: E402
from google.protobuf.internal import encoder  # noqa: E402
from entente.v1 import admin_service_pb2 as admin  # noqa: E402
from entente.v1 import query_service_pb2 as query  # noqa: E402
from entente.v1 import read_service_pb2 as read  # noqa: E402
from entente.v1 import write_service_pb2 as write  # noqa: E402

# The order of Methods() in fuzz/fuzz_requests.cc.
METHODS = [
    "GetEntity", "GetSource", "GetFact", "ResolveEntity", "ListFacts",
    "GetNeighborhood", "FindPaths", "GetTimeline", "GetRelationshipState", "DiffRelationship",
    "UpsertEntity", "UpsertSource", "RecordFact", "RecordFacts", "RetractFact", "Import",
    "GetStats", "Backup",
]

CALL = {"type": "FACT_TYPE_CALL", "cameoCode": "041",
        "participants": [{"entityId": "ebrahim_raisi", "role": "PARTICIPANT_ROLE_SOURCE"},
                         {"entityId": "xi_jinping", "role": "PARTICIPANT_ROLE_TARGET"}],
        "validTime": {"start": {"year": 2021, "month": 8, "precision": "PRECISION_MONTH"}},
        "summary": "Example: a phone call."}
BAD_END = dict(CALL, validTime={"start": {"year": 2002, "month": 3, "precision": "PRECISION_MONTH"},
                                "end": {"year": 2001, "precision": "PRECISION_YEAR"}})
WINDOW = {"from": {"year": 2001}, "to": {"year": 2025}}
SEED_FACT = "c5114bfd0c2b5812828d911c13ffa2bc"


def msg(cls, fields):
    return json_format.ParseDict(fields, cls()).SerializeToString()


def delimited(messages):
    out = b""
    for m in messages:
        out += encoder._VarintBytes(len(m)) + m
    return out


SEEDS = {
    "get_entity": ("GetEntity", msg(read.GetEntityRequest, {"id": "IRN"})),
    "get_entity_invalid_utf8": ("GetEntity", b"\x0a\x02\xc3\x28"),  # id: bad UTF-8
    "get_source": ("GetSource", msg(read.GetSourceRequest, {"id": "seed:000_0094ba4dce077324#1"})),
    "get_fact": ("GetFact", msg(read.GetFactRequest, {"id": SEED_FACT})),
    "resolve": ("ResolveEntity", msg(read.ResolveEntityRequest, {"query": "Tehran", "limit": 5})),
    "list_facts": ("ListFacts", msg(read.ListFactsRequest, {
        "entityId": "IRN", "otherEntityId": "RUS", "window": WINDOW, "pageSize": 2,
        "types": ["FACT_TYPE_AGREEMENT_SIGNED", "FACT_TYPE_VISIT"]})),
    "list_facts_token": ("ListFacts", msg(read.ListFactsRequest, {
        "entityId": "IRN", "pageToken": "AAAA", "asOf": "2030-01-01T00:00:00Z"})),
    "neighborhood": ("GetNeighborhood", msg(query.GetNeighborhoodRequest, {
        "entityIds": ["IRN"], "hops": 2,
        "filter": {"window": WINDOW, "types": ["FACT_TYPE_VISIT"],
                   "entityKinds": ["ENTITY_KIND_STATE"]}})),
    "paths": ("FindPaths", msg(query.FindPathsRequest, {
        "fromEntityId": "PRK", "toEntityId": "IRN", "mode": "PATH_MODE_K_SHORTEST", "k": 3})),
    "paths_time": ("FindPaths", msg(query.FindPathsRequest, {
        "fromEntityId": "PRK", "toEntityId": "IRN", "mode": "PATH_MODE_TIME_RESPECTING",
        "since": {"year": 2020}})),
    "timeline": ("GetTimeline", msg(query.GetTimelineRequest, {
        "entityIds": ["IRN", "RUS"], "window": WINDOW, "granularity": "GRANULARITY_MONTH",
        "maxFacts": 3})),
    "relationship": ("GetRelationshipState", msg(query.GetRelationshipStateRequest, {
        "entityId": "IRN", "otherEntityId": "RUS", "at": {"year": 2025, "month": 2}})),
    "diff": ("DiffRelationship", msg(query.DiffRelationshipRequest, {
        "entityId": "IRN", "otherEntityId": "RUS", "from": {"year": 2021}, "to": {"year": 2025}})),
    "upsert_entity": ("UpsertEntity", msg(write.UpsertEntityRequest, {"entity": {
        "id": "fuzz_org", "kind": "ENTITY_KIND_ORGANIZATION", "name": "Fuzz Org",
        "aliases": ["FO"], "stateId": "IRN"}})),
    "upsert_source": ("UpsertSource", msg(write.UpsertSourceRequest, {"source": {
        "id": "fuzz:source", "title": "A source", "published": {"year": 2024, "month": 12,
                                                                "precision": "PRECISION_MONTH"}}})),
    "record_fact": ("RecordFact", msg(write.RecordFactRequest, {"fact": CALL})),
    "record_fact_bad_end": ("RecordFact", msg(write.RecordFactRequest, {"fact": BAD_END})),
    "record_facts": ("RecordFacts", delimited([
        msg(write.RecordFactsRequest, {"fact": CALL}),
        msg(write.RecordFactsRequest, {"fact": BAD_END}),
        msg(write.RecordFactsRequest, {})])),
    "record_facts_strict": ("RecordFacts", delimited([
        msg(write.RecordFactsRequest, {"fact": CALL, "strict": True}),
        msg(write.RecordFactsRequest, {"fact": BAD_END})])),
    "retract": ("RetractFact", msg(write.RetractFactRequest, {"factId": SEED_FACT,
                                                              "reason": "fuzz"})),
    "import_tsv": ("Import", delimited([
        msg(write.ImportRequest, {"header": {"fileName": "events.tsv", "format": "IMPORT_FORMAT_TSV"}}),
        msg(write.ImportRequest, {"chunk": "ZGF0ZQlzb3VyY2UJcmVsYXRpb24JdGFyZ2V0CjIwMTQtMDEtMDEJ"}),
        msg(write.ImportRequest, {"chunk": "SXJhbglNYWtlIGEgdmlzaXQJUnVzc2lhCg=="})])),
    "import_csv_strict": ("Import", delimited([
        msg(write.ImportRequest, {"header": {"fileName": "sheet.csv", "sourceId": "analyst_sheet",
                                             "strict": True}}),
        msg(write.ImportRequest, {"chunk": "ZGF0ZSxzb3VyY2UsdHlwZQoyMDE0LDIwMTQsdmlzaXQK"})])),
    "stats": ("GetStats", b""),
    "backup": ("Backup", msg(admin.BackupRequest, {"dir": "/backup-1"})),
    "backup_inside": ("Backup", msg(admin.BackupRequest, {"dir": "/db/backup"})),
}


def main():
    out = sys.argv[2]
    os.makedirs(out, exist_ok=True)
    for name, (method, body) in sorted(SEEDS.items()):
        with open(os.path.join(out, name), "wb") as f:
            f.write(bytes([METHODS.index(method)]) + body)


if __name__ == "__main__":
    main()
