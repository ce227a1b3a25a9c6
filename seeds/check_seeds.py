#!/usr/bin/python3
"""Checks the Entente seed data in seeds/data/.

Run with the system interpreter (it needs the `google.protobuf` package that
matches the installed protoc):

    /usr/bin/python3 seeds/check_seeds.py [--proto DIR | --pyout DIR] [--articles DIR] [--data DIR]

It compiles <proto root>/entente/v1/*.proto (--proto, default proto/ of
this repository) with protoc into a temporary directory
(unless --pyout points at already generated modules), parses every line of
sources.jsonl, entities.jsonl, states.jsonl and facts.jsonl with
json_format.Parse (unknown fields rejected), and checks:

  * each line is in canonical proto3 JSON form (lowerCamelCase names, enum
    names, no default values written out);
  * ids: well formed, unique (entity ids across entities.jsonl and
    states.jsonl together); every referenced entity / source exists;
    `stateId` names a STATE entity;
  * states.jsonl: only ENTITY_KIND_STATE records, each id three uppercase
    letters (ISO 3166-1 alpha-3, or XKX for Kosovo), no stateId;
  * dates: precision set and fields consistent with it, real calendar days;
    time spans shaped as the store accepts them (start or openStart, end not
    before start, ...);
  * facts: no id, a type, participants (no entity twice in one role), a valid
    time, provenance with a source and a locator that names existing
    paragraphs of that article, an empty quote, stance only with claimants,
    snake_case attribute keys and quantity measures, digits-only CAMEO codes;
  * no two facts identical; no id, name or alias shared by two entities
    (of either entity file) after the store's name normalisation;
  * sources match the articles: one per article, the title equal to its
    headline;
  * no curated free text (fact summaries, entity descriptions, attribute
    values, notes, baselines) shares a run of 8 or more consecutive words
    with any article text, case-insensitively.

Prints counts and every problem found; exits 1 if there is any problem.
"""

import argparse
import atexit
import collections
import glob
import importlib
import json
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
DEFAULT_DATA = os.path.join(HERE, "data")
DATA = DEFAULT_DATA
PROTO_ROOT = os.path.join(REPO, "proto")
DEFAULT_ARTICLES = "/work/shared/seed-articles"
SHINGLE = 8

problems = []


def problem(where, msg):
    problems.append(f"{where}: {msg}")


# --------------------------------------------------------------------------
# Protobuf modules


def load_modules(pyout, proto_root):
    if pyout is None:
        pyout = tempfile.mkdtemp(prefix="entente_pb_")
        atexit.register(shutil.rmtree, pyout, ignore_errors=True)
        protos = sorted(glob.glob(os.path.join(proto_root, "entente", "v1", "*.proto")))
        if not protos:
            sys.exit(f"no .proto files under {proto_root}/entente/v1 (pass --proto)")
        cmd = ["protoc", "-I", proto_root, f"--python_out={pyout}"] + protos
        res = subprocess.run(cmd, capture_output=True, text=True)
        if res.returncode != 0:
            sys.exit(f"protoc failed: {' '.join(cmd)}\n{res.stderr}")
    sys.path.insert(0, pyout)
    entity_pb2 = importlib.import_module("entente.v1.entity_pb2")
    source_pb2 = importlib.import_module("entente.v1.source_pb2")
    fact_pb2 = importlib.import_module("entente.v1.fact_pb2")
    time_pb2 = importlib.import_module("entente.v1.time_pb2")
    return entity_pb2, source_pb2, fact_pb2, time_pb2


# --------------------------------------------------------------------------
# Articles: splitting files into articles and paragraphs.
#
# Files 000, 001 and 004 use a header block per article: headline, photo
# caption line(s), "TT", the headline again, the caption(s) again. Files 002
# and 003 have only a headline line. Body paragraphs are the non-blank lines
# after the header; a line that does not end a sentence is joined with the
# next one (002 breaks one sentence over two lines). A dateline such as
# "MOSCOW (Dispatches) —" is not a paragraph, and "Source link" ends the
# article (003 carries unrelated "Related posts" after it).

TERMINAL = tuple('.!?"”’:)]')
DATELINE = re.compile(r"^[A-Z][A-Z .'-]*\([^)]*\)\s*[—–-]\s*$")


def split_articles(path):
    lines = open(path, encoding="utf-8").read().split("\n")
    stem = os.path.splitext(os.path.basename(path))[0]
    tts = [i for i, l in enumerate(lines) if l.strip() == "TT"]
    raw = []
    if tts:
        heads = []
        for t in tts:
            j = t + 1
            while not lines[j].strip():
                j += 1
            headline = lines[j].strip()
            h = max(i for i in range(t) if lines[i].strip() == headline)
            captions = [lines[i].strip() for i in range(h + 1, t) if lines[i].strip()]
            k = j + 1
            while k < len(lines) and (not lines[k].strip() or lines[k].strip() in captions):
                k += 1
            heads.append((h, headline, captions, k))
        for n, (h, headline, captions, body_start) in enumerate(heads):
            end = heads[n + 1][0] if n + 1 < len(heads) else len(lines)
            raw.append((headline, captions, lines[body_start:end]))
    else:
        headline = lines[0].strip()
        body = lines[1:]
        nonblank = [i for i, l in enumerate(body) if l.strip()]
        if nonblank and DATELINE.match(body[nonblank[0]].strip()):
            body = body[nonblank[0] + 1:]
        for i, l in enumerate(body):
            if l.strip() == "Source link":
                body = body[:i]
                break
        raw.append((headline, [], body))
    out = []
    for n, (headline, captions, body) in enumerate(raw, 1):
        paras, cur = [], None
        for l in body:
            s = l.strip()
            if not s:
                continue
            cur = s if cur is None else cur + " " + s
            if cur.endswith(TERMINAL):
                paras.append(cur)
                cur = None
        if cur is not None:
            paras.append(cur)
        sid = f"seed:{stem}#{n}" if len(raw) > 1 else f"seed:{stem}"
        out.append({"id": sid, "file": os.path.basename(path), "headline": headline,
                    "captions": sorted(set(captions)), "paragraphs": paras})
    return out


def words(text):
    return re.findall(r"[a-z0-9]+", text.lower().replace("’", "'"))


def shingles(text, n=SHINGLE):
    w = words(text)
    return {tuple(w[i:i + n]) for i in range(len(w) - n + 1)}


# --------------------------------------------------------------------------
# Names: the store's NormalizeName (storage/names.h)


def normalize_name(text):
    text = text.replace("'", "").replace("\u2019", "")
    out, pending_space = [], False
    for ch in text:
        if ord(ch) < 128 and not ch.isalnum():
            pending_space = True
            continue
        if pending_space and out:
            out.append(" ")
        pending_space = False
        out.append(ch.lower() if ord(ch) < 128 else ch)
    return "".join(out).strip()


# --------------------------------------------------------------------------
# Dates


def day_range(d, P):
    """(first, last) as comparable tuples for a valid Date."""
    import calendar
    if d.precision == P.PRECISION_YEAR:
        return (d.year, 1, 1), (d.year, 12, 31)
    if d.precision == P.PRECISION_MONTH:
        return (d.year, d.month, 1), (d.year, d.month, calendar.monthrange(d.year, d.month)[1])
    return (d.year, d.month, d.day), (d.year, d.month, d.day)


def check_date(d, where, P):
    import calendar
    if not 1 <= d.year <= 9999:
        problem(where, f"year {d.year} is outside 1..9999")
        return False
    if d.precision == P.PRECISION_YEAR:
        if d.month or d.day:
            problem(where, "a YEAR-precision date must leave month and day unset")
            return False
    elif d.precision == P.PRECISION_MONTH:
        if not 1 <= d.month <= 12:
            problem(where, f"month {d.month} is outside 1..12")
            return False
        if d.day:
            problem(where, "a MONTH-precision date must leave day unset")
            return False
    elif d.precision == P.PRECISION_DAY:
        if not 1 <= d.month <= 12 or not 1 <= d.day <= calendar.monthrange(d.year, d.month)[1]:
            problem(where, f"{d.year:04d}-{d.month:02d}-{d.day:02d} is not a calendar day")
            return False
    else:
        problem(where, "precision is missing (DAY, MONTH or YEAR)")
        return False
    return True


def check_span(span, where, P, attested_keys=()):
    ok = True
    if span.open_start and span.HasField("start"):
        problem(where, "openStart is set together with a start date")
        ok = False
    if span.open_end and span.HasField("end"):
        problem(where, "openEnd is set together with an end date")
        ok = False
    if not span.open_start and not span.HasField("start"):
        problem(where + ".start", "is missing (set it, or openStart)")
        ok = False
    if span.open_start and not span.HasField("end") and not span.open_end:
        problem(where + ".end", "is required when the start is open")
        ok = False
    if span.open_start and span.open_end and where.endswith("validTime"):
        # Known to hold, bounds unknown: the date it was seen holding must be kept.
        if "attested_on" not in attested_keys:
            problem(where, "openStart with openEnd needs attributes.attested_on")
            ok = False
    if span.HasField("start"):
        ok &= check_date(span.start, where + ".start", P)
    if span.HasField("end"):
        ok &= check_date(span.end, where + ".end", P)
    if ok and span.HasField("start") and span.HasField("end"):
        if day_range(span.end, P)[1] < day_range(span.start, P)[0]:
            problem(where + ".end", "ends before it starts")
            ok = False
    return ok


# --------------------------------------------------------------------------
# Loading JSON Lines


def read_jsonl(name, msg_cls, json_format):
    path = os.path.join(DATA, name)
    out = []
    if not os.path.exists(path):
        problem(name, "file is missing")
        return out
    with open(path, encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            where = f"{name}:{lineno}"
            if not line.strip():
                problem(where, "blank line")
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as e:
                problem(where, f"not JSON: {e}")
                continue
            msg = msg_cls()
            try:
                json_format.Parse(line, msg, ignore_unknown_fields=False)
            except json_format.ParseError as e:
                problem(where, f"does not parse as {msg_cls.DESCRIPTOR.full_name}: {e}")
                continue
            canon = json_format.MessageToDict(msg)
            if canon != obj:
                problem(where, "not in canonical proto3 JSON form (lowerCamelCase names, enum names, "
                               "no default values); canonical: " + json.dumps(canon, ensure_ascii=False)[:300])
            out.append((where, msg, obj))
    return out


# --------------------------------------------------------------------------


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--proto", default=PROTO_ROOT, help="proto root holding entente/v1/*.proto")
    ap.add_argument("--pyout", help="directory with modules generated by protoc --python_out "
                                    "(skips running protoc)")
    ap.add_argument("--articles", default=DEFAULT_ARTICLES, help="folder holding the seed articles")
    ap.add_argument("--data", default=DEFAULT_DATA, help="folder holding the four .jsonl files")
    args = ap.parse_args()
    global DATA
    DATA = args.data

    entity_pb2, source_pb2, fact_pb2, time_pb2 = load_modules(args.pyout, args.proto)
    from google.protobuf import json_format
    P = time_pb2

    # ---- articles
    articles = {}
    article_shingles = set()
    if not os.path.isdir(args.articles):
        problem(args.articles, "article folder not found (pass --articles)")
    else:
        for path in sorted(glob.glob(os.path.join(args.articles, "*.txt"))):
            for a in split_articles(path):
                articles[a["id"]] = a
            article_shingles |= shingles(open(path, encoding="utf-8").read())

    def check_copy(text, where):
        if not text:
            return
        hits = shingles(text) & article_shingles
        if hits:
            problem(where, "shares an 8-word run with an article: \"" + " ".join(sorted(hits)[0]) + "\"")

    # ---- sources
    sources = read_jsonl("sources.jsonl", source_pb2.Source, json_format)
    source_ids = {}
    for where, s, _ in sources:
        if s.id in source_ids:
            problem(where, f"duplicate source id {s.id}")
        source_ids[s.id] = s
        if not re.fullmatch(r"seed:[0-9]{3}_[0-9a-f]{16}(#[1-9])?", s.id):
            problem(where, f"source id {s.id!r} is not seed:<file stem> or seed:<file stem>#<n>")
        if not s.title.strip():
            problem(where, "title is empty")
        if s.HasField("published"):
            check_date(s.published, where + ".published", P)
        if articles:
            a = articles.get(s.id)
            if a is None:
                problem(where, f"no article {s.id} in {args.articles}")
            else:
                if s.title != a["headline"]:
                    problem(where, f"title differs from the headline {a['headline']!r}")
                if s.location != "seed-articles/" + a["file"]:
                    problem(where, f"location should be seed-articles/{a['file']}")
    for aid in articles:
        if aid not in source_ids:
            problem("sources.jsonl", f"no source for article {aid}")

    # ---- entities
    # entities.jsonl holds what the articles name; states.jsonl every other
    # sovereign state (for resolving imported event data such as ICEWS). Both
    # are entente.v1.Entity and share one id space and one name space.
    entities = read_jsonl("entities.jsonl", entity_pb2.Entity, json_format)
    states = read_jsonl("states.jsonl", entity_pb2.Entity, json_format)
    E = entity_pb2
    for where, e, _ in states:
        w = f"{where} ({e.id})"
        if e.kind != E.ENTITY_KIND_STATE:
            problem(w, "states.jsonl holds only ENTITY_KIND_STATE records")
        if not re.fullmatch(r"[A-Z]{3}", e.id):
            problem(w, "a state id must be three uppercase letters (ISO 3166-1 alpha-3)")
    ent = {}
    ent_where = {}
    for where, e, _ in entities + states:
        if e.id in ent:
            problem(where, f"duplicate entity id {e.id} (first at {ent_where[e.id]})")
            continue
        ent[e.id] = e
        ent_where[e.id] = where
    names = collections.defaultdict(set)
    for where, e, _ in entities + states:
        w = f"{where} ({e.id})"
        if not re.fullmatch(r"[A-Za-z0-9_.:#/-]{1,128}", e.id):
            problem(w, "id must be 1..128 characters of [A-Za-z0-9_.:#/-]")
        if e.kind == E.ENTITY_KIND_UNSPECIFIED:
            problem(w, "kind is missing")
        elif e.kind == E.ENTITY_KIND_STATE:
            if not re.fullmatch(r"[A-Z]{3}", e.id):
                problem(w, "a state id must be an ISO 3166-1 alpha-3 code")
        elif not re.fullmatch(r"[a-z0-9]+(_[a-z0-9]+)*", e.id):
            problem(w, "a non-state id must be a lowercase snake_case slug")
        if not e.name.strip():
            problem(w, "name is empty")
        if not e.description.strip():
            problem(w, "description is empty")
        check_copy(e.description, w + ".description")
        if e.state_id:
            st = ent.get(e.state_id)
            if st is None:
                problem(w, f"stateId {e.state_id} is not an entity")
            elif st.kind != E.ENTITY_KIND_STATE:
                problem(w, f"stateId {e.state_id} is not a STATE")
            if e.state_id == e.id:
                problem(w, "stateId names the entity itself")
        if e.kind == E.ENTITY_KIND_STATE and e.state_id:
            problem(w, "a state has no stateId")
        if e.kind == E.ENTITY_KIND_AGREEMENT:
            if not e.HasField("agreement"):
                problem(w, "an agreement needs agreement details")
            else:
                ag = e.agreement
                if ag.status == E.AGREEMENT_STATUS_UNSPECIFIED:
                    problem(w, "agreement.status is missing")
                if not ag.agreement_type.strip():
                    problem(w, "agreement.agreementType is empty")
                for i, c in enumerate(ag.clauses):
                    if not re.fullmatch(r"[a-z0-9_]+", c.name):
                        problem(w, f"agreement.clauses[{i}].name must be snake_case")
                    if c.presence == E.CLAUSE_PRESENCE_UNSPECIFIED:
                        problem(w, f"agreement.clauses[{i}].presence must be PRESENT or ABSENT")
                    check_copy(c.note, f"{w}.agreement.clauses[{i}].note")
                if ag.HasField("signing_date"):
                    check_date(ag.signing_date, w + ".agreement.signingDate", P)
                elif ag.status in (E.AGREEMENT_STATUS_SIGNED, E.AGREEMENT_STATUS_RATIFIED,
                                   E.AGREEMENT_STATUS_IN_FORCE):
                    problem(w, "a signed agreement should give agreement.signingDate")
        elif e.HasField("agreement"):
            problem(w, "agreement details on an entity that is no AGREEMENT")
        for text in [e.name] + list(e.aliases):
            if not text.strip():
                problem(w, "empty alias")
            names[normalize_name(text)].add(e.id)
        # The store also resolves ids, so an id must not equal another
        # entity's name or alias ("tehran" the city vs "Tehran" for Iran).
        names[normalize_name(e.id)].add(e.id)
    for norm, ids in sorted(names.items()):
        if len(ids) > 1:
            problem("entities.jsonl+states.jsonl",
                    f"id/name/alias {norm!r} is shared by {', '.join(sorted(ids))}")

    # ---- facts
    facts = read_jsonl("facts.jsonl", fact_pb2.Fact, json_format)
    Fp = fact_pb2
    seen_content = {}
    referenced = set()
    locator_re = re.compile(r"(photo caption)?(?:(?:, |^)paragraphs? (\d+(?:-\d+)?(?:, \d+(?:-\d+)?)*))?$")
    for where, f, obj in facts:
        w = where
        key = json.dumps(obj, sort_keys=True)
        if key in seen_content:
            problem(w, f"identical to {seen_content[key]}")
        seen_content[key] = w
        if f.id:
            problem(w, "id must be empty (the store derives it)")
        if f.type == Fp.FACT_TYPE_UNSPECIFIED:
            problem(w, "type is missing")
        if f.cameo_code and not re.fullmatch(r"[0-9]{2,4}", f.cameo_code):
            problem(w, f"cameoCode {f.cameo_code!r} must be 2-4 digits")
        if not f.participants:
            problem(w, "has no participants")
        pairs = set()
        for i, p in enumerate(f.participants):
            if p.entity_id not in ent:
                problem(w, f"participants[{i}] names unknown entity {p.entity_id!r}")
            referenced.add(p.entity_id)
            if p.role == Fp.PARTICIPANT_ROLE_UNSPECIFIED:
                problem(w, f"participants[{i}].role is missing")
            if (p.entity_id, p.role) in pairs:
                problem(w, f"participants[{i}] repeats {p.entity_id} in the same role")
            pairs.add((p.entity_id, p.role))
        if not f.HasField("valid_time"):
            problem(w, "validTime is missing")
        else:
            check_span(f.valid_time, w + ".validTime", P, set(f.attributes.keys()))
        for i, q in enumerate(f.quantities):
            if not re.fullmatch(r"[a-z0-9_]+", q.measure):
                problem(w, f"quantities[{i}].measure must be snake_case")
            if not math.isfinite(q.value):
                problem(w, f"quantities[{i}].value is not finite")
            if not q.unit:
                problem(w, f"quantities[{i}].unit is empty")
            if q.HasField("period"):
                check_span(q.period, f"{w}.quantities[{i}].period", P)
            check_copy(q.baseline, f"{w}.quantities[{i}].baseline")
        for k, v in f.attributes.items():
            if not re.fullmatch(r"[a-z0-9_]+", k):
                problem(w, f"attribute key {k!r} is not snake_case")
            check_copy(v, f"{w}.attributes[{k}]")
        if not f.summary.strip():
            problem(w, "summary is empty")
        elif "\n" in f.summary:
            problem(w, "summary must be one line")
        check_copy(f.summary, w + ".summary")
        pv = f.provenance
        if not pv.source_id:
            problem(w, "provenance.sourceId is missing")
        elif pv.source_id not in source_ids:
            problem(w, f"provenance.sourceId {pv.source_id!r} is not a source")
        if pv.quote:
            problem(w, "provenance.quote must stay empty (no article text in the repo)")
        m = locator_re.fullmatch(pv.locator)
        if not pv.locator or not m or not (m.group(1) or m.group(2)):
            problem(w, f"provenance.locator {pv.locator!r} is not 'paragraph N', 'paragraphs N, M', "
                       "'photo caption' or a combination")
        elif pv.source_id in articles:
            a = articles[pv.source_id]
            if m.group(1) and not a["captions"]:
                problem(w, "locator names a photo caption but the article has none")
            if m.group(2):
                for part in m.group(2).split(", "):
                    lo, _, hi = part.partition("-")
                    for n in sorted({int(lo), int(hi or lo)}):
                        if not 1 <= n <= len(a["paragraphs"]):
                            problem(w, f"locator paragraph {n} is outside 1..{len(a['paragraphs'])}")
        at = f.attribution
        if at.stance != Fp.CLAIM_STANCE_UNSPECIFIED and not at.claimant_ids:
            problem(w, "attribution has a stance but no claimants")
        if at.claimant_ids and at.stance == Fp.CLAIM_STANCE_UNSPECIFIED:
            problem(w, "attribution names claimants but no stance")
        for c in at.claimant_ids:
            if c not in ent:
                problem(w, f"attribution claimant {c!r} is not an entity")
            referenced.add(c)
        check_copy(at.note, w + ".attribution.note")

    readme = os.path.join(DATA, "README.md")
    if os.path.exists(readme):
        check_copy(open(readme, encoding="utf-8").read(), "README.md")

    referenced |= {e.state_id for _, e, _ in entities + states if e.state_id}
    # Only entities.jsonl is expected to be used by facts; states.jsonl is a
    # gazetteer, so its unreferenced states are counted, not listed.
    unused = sorted({e.id for _, e, _ in entities} - referenced)
    unused_states = sum(1 for _, e, _ in states if e.id not in referenced)

    # ---- report
    print(f"sources:  {len(sources)}")
    print(f"entities: {len(entities)}")
    for k, n in sorted(collections.Counter(E.EntityKind.Name(e.kind) for _, e, _ in entities).items()):
        print(f"  {k:28s} {n}")
    print(f"states:   {len(states)} (states.jsonl; {unused_states} referenced by no fact)")
    print(f"  all ENTITY_KIND_STATE        "
          f"{sum(1 for _, e, _ in entities + states if e.kind == E.ENTITY_KIND_STATE)}")
    print(f"facts:    {len(facts)}")
    for k, n in sorted(collections.Counter(Fp.FactType.Name(f.type) for _, f, _ in facts).items()):
        print(f"  {k:28s} {n}")
    by_src = collections.Counter(f.provenance.source_id for _, f, _ in facts)
    print("facts per source:")
    for sid in sorted(source_ids):
        print(f"  {sid:32s} {by_src.get(sid, 0)}")
    if unused:
        print("entities referenced by no fact, claim or stateId (allowed): " + ", ".join(unused))
    if problems:
        print(f"\n{len(problems)} problem(s):")
        for p in problems:
            print("  " + p)
        return 1
    print("\nOK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
