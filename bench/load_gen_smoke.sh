#!/usr/bin/env bash
# The load_gen_smoke test: loads the first 2000 real ICEWS events into a
# fresh store (entente_graph_bench), serves it with entented on a free
# loopback port, runs entente_load_gen with 2 clients for 2 s and checks that
# it measured a nonzero rate with zero errors. The server is stopped (and
# the work directory removed) whatever happens; exit 77 = skipped.
#   load_gen_smoke.sh SCALE BENCH ENTENTED LOAD_GEN EVENTS
set -euo pipefail
scale=$1 bench=$2 entented=$3 load_gen=$4 events=$5
if [[ ! -f $events ]]; then
  echo "load_gen_smoke: SKIPPED: $events not found"
  exit 77
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/entente_load_gen_smoke.XXXXXX")
server_pid=
cleanup() {
  if [[ -n $server_pid ]] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid" 2>/dev/null || true
    for _ in $(seq 100); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
fail() {
  echo "load_gen_smoke: FAILED: $*"
  echo "--- server log:"; cat "$work/server.log" 2>/dev/null || true
  exit 1
}

# The first 2000 events unchanged (copy 0 of a 1x scale), loaded as the
# benchmarks load them.
"$scale" --factor 1 --limit 2000 --in "$events" --out "$work/events.tsv" 2>/dev/null
"$bench" --events "$work/events.tsv" --db "$work/db" --queries 1 >/dev/null 2>"$work/bench.log" ||
  { cat "$work/bench.log"; fail "entente_graph_bench could not load the events"; }

: >"$work/server.log"
"$entented" --db "$work/db" --listen 127.0.0.1:0 --no-seeds 2>>"$work/server.log" &
server_pid=$!
port=
for _ in $(seq 600); do
  port=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9][0-9]*\).*/\1/p' "$work/server.log" | head -n 1 || true)
  [[ -n $port ]] && break
  kill -0 "$server_pid" 2>/dev/null || fail "entented exited before listening"
  sleep 0.1
done
[[ -n $port ]] || fail "entented did not log its port within 60 s"

status=0
"$load_gen" --server "127.0.0.1:$port" --clients 2 --seconds 2 --events "$work/events.tsv" \
  --json >"$work/out.json" 2>"$work/table.txt" || status=$?
cat "$work/table.txt"
out=$(cat "$work/out.json")
echo "$out"
[[ $status -eq 0 ]] || fail "entente_load_gen exited with $status"
qps=$(sed -n 's/.*"requests":[0-9]*,"errors":[0-9]*,"warmup_errors":[0-9]*,"qps":\([0-9.]*\),.*/\1/p' <<<"$out")
errors=$(sed -n 's/.*"requests":[0-9]*,"errors":\([0-9]*\),"warmup_errors".*/\1/p' <<<"$out")
[[ -n $qps && -n $errors ]] || fail "cannot read qps and errors from the JSON"
[[ $errors -eq 0 ]] || fail "$errors errors"
awk -v q="$qps" 'BEGIN { exit !(q > 0) }' || fail "qps is $qps"
for kind in timeline neighbors path resolve; do
  n=$(sed -n "s/.*\"$kind\":{\"requests\":\([0-9]*\),.*/\1/p" <<<"$out")
  [[ -n $n && $n -gt 0 ]] || fail "no $kind requests measured"
done

# A clean stop: SIGTERM drains and exits 0.
kill -TERM "$server_pid"
server_status=0
wait "$server_pid" || server_status=$?
server_pid=
[[ $server_status -eq 0 ]] || fail "entented exited with $server_status on SIGTERM"
echo "load_gen_smoke: OK ($qps queries/s, 0 errors)"
