#!/usr/bin/env bash
# What durability costs (docs/durability.md): write rates of entented with
# --sync-writes off and on, measured with entente_write_bench, each case on a
# fresh database (no seeds) in a new server, RUNS runs of SECONDS each, and
# the median of the runs. Also the disk's own rate of small appends each
# followed by fdatasync ("one fsync's worth"), and, when strace is
# installed, how many fdatasync calls the server made for the facts of one
# 8-client unary run with --sync-writes (writes per sync: group commit).
#   durability_bench.sh ENTENTED WRITE_BENCH [SECONDS] [RUNS]
# Defaults: 10 s, 3 runs. The databases go under $TMPDIR (default /tmp);
# put it on the disk you mean to measure. Servers are stopped and the work
# directory removed whatever happens.
set -euo pipefail
entented=$1 bench=$2 seconds=${3:-10} runs=${4:-3}
work=$(mktemp -d "${TMPDIR:-/tmp}/entente_durability_bench.XXXXXX")
server_pid= server_log= strace_pid=
# A server that does not exit 0 on SIGTERM crashed or, in a sanitizer build,
# exited after a report (docs/sanitizers.md): the line below fails the
# write_bench_smoke test, whose rates were already printed.
stop_server() {
  local status=0
  if [[ -n $server_pid ]] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid" 2>/dev/null || true
    for _ in $(seq 100); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$server_pid" 2>/dev/null || true
  fi
  if [[ -n $server_pid ]]; then
    wait "$server_pid" 2>/dev/null || status=$?
    if ((status != 0)); then
      echo "durability_bench: entented exited with status $status; its log:"
      cat "$server_log"
    fi
  fi
  server_pid=
}
cleanup() {
  [[ -n $strace_pid ]] && kill "$strace_pid" 2>/dev/null || true
  stop_server
  rm -rf "$work"
}
trap cleanup EXIT

start_server() {  # start_server NAME [entented flags...]
  local name=$1
  shift
  server_log=$work/$name.log
  : >"$server_log"
  "$entented" --db "$work/$name" --listen 127.0.0.1:0 --no-seeds --drain-seconds 0 "$@" \
    2>>"$work/$name.log" &
  server_pid=$!
  for _ in $(seq 300); do
    address=$(grep -o 'listening on 127\.0\.0\.1:[0-9]*' "$work/$name.log" | cut -d' ' -f3 || true)
    [[ -n $address ]] && return 0
    sleep 0.1
  done
  cat "$work/$name.log"
  echo "durability_bench: entented did not start" >&2
  exit 1
}

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

echo "# fdatasync after each 100-byte append, on $work's disk (2 s):"
python3 - "$work/fsync.probe" <<'PY'
import os, sys, time
fd = os.open(sys.argv[1], os.O_WRONLY | os.O_CREAT | os.O_APPEND)
n, end = 0, time.monotonic() + 2
while time.monotonic() < end:
    os.write(fd, b"x" * 100)
    os.fdatasync(fd)
    n += 1
print(f"fdatasync_per_s={n / 2:.0f}")
PY

for sync in off on; do
  flags=()
  [[ $sync == on ]] && flags=(--sync-writes)
  for case in "unary 1" "unary 8" "stream 1"; do
    read -r mode clients <<<"$case"
    name="sync_${sync}_${mode}_${clients}"
    start_server "$name" "${flags[@]}"
    rates=()
    for run in $(seq "$runs"); do
      line=$("$bench" --server "$address" --mode "$mode" --clients "$clients" --seconds "$seconds")
      echo "sync=$sync run=$run $line"
      rates+=("$(grep -o 'facts_per_s=[0-9]*' <<<"$line" | cut -d= -f2)")
    done
    echo "MEDIAN sync=$sync mode=$mode clients=$clients facts_per_s=$(printf '%s\n' "${rates[@]}" | median)"
    stop_server
  done
done

if command -v strace >/dev/null; then
  # strace slows every traced call; the rate of this run is not comparable,
  # only the ratio of facts to syncs is.
  start_server sync_on_strace --sync-writes
  strace -f -c -e trace=fsync,fdatasync -o "$work/strace.txt" -p "$server_pid" 2>/dev/null &
  strace_pid=$!
  sleep 1
  line=$("$bench" --server "$address" --mode unary --clients 8 --seconds "$seconds")
  kill -INT "$strace_pid"
  wait "$strace_pid" 2>/dev/null || true
  strace_pid=
  facts=$(grep -o ' facts=[0-9]*' <<<"$line" | cut -d= -f2)
  syncs=$(awk '$NF == "fdatasync" || $NF == "fsync" { n += $4 } END { print n + 0 }' "$work/strace.txt")
  echo "GROUP sync=on mode=unary clients=8 facts=$facts syncs=$syncs" \
       "facts_per_sync=$(awk -v f="$facts" -v s="$syncs" 'BEGIN { printf "%.2f", s ? f / s : 0 }')"
  stop_server
fi
