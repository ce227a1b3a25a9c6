#!/usr/bin/env bash
# Import and start-up benchmark (docs/benchmarks.md, "Import and start-up").
#
#   bench/import_bench.sh BUILD_DIR EVENTS.tsv WORK_DIR [LINES]
#
# LINES: use only the first LINES events and one bad line (the smoke test in
# CTest).
# 1. Offline: `entented --import` into a new database; lines/s and peak RSS.
# 2. Start: entented on that database, from launch to the first answered
#    GetNeighborhood (Iran, 1 hop) — once building the graph from the facts,
#    once reading the graph image the first run saved at shutdown.
# 3. Streaming: `entente import` into a running, freshly seeded server;
#    lines/s as the server reports them and the server's peak RSS.
# Removes WORK_DIR's
# databases when done; servers it starts listen on 127.0.0.1 only.
set -euo pipefail

build=$(realpath "$1")
events=$(realpath "$2")
work=$3
entented=$build/server/entented
entente=$build/cli/entente
mkdir -p "$work"
work=$(realpath "$work")
if [ $# -ge 4 ]; then
  head -n "$(($4 + 1))" "$events" >"$work/events.tsv"
  # A bad line, as the real files have (the 100x data has 357,400): the
  # imports exit 1 and the script must carry on.
  printf '2014-01-01\tIran\tDance the tango\tRussia\n' >>"$work/events.tsv"
  events=$work/events.tsv
fi

free_port() {
  /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

server_pid=""
stop_server() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill -INT "$server_pid"
    # Not always our child (the start-up timer launches it): poll.
    while kill -0 "$server_pid" 2>/dev/null; do sleep 0.05; done
  fi
  server_pid=""
}
trap stop_server EXIT

# Starts entented on $1 (leaving it running, its pid in server_pid) and sets
# `elapsed` to the seconds from launch to the first answered neighborhood
# query. The client is Python's grpc (Debian's python3-grpcio), started
# before the server, polling every 10 ms with a hand-encoded request
# (entity_ids: "IRN", hops: 1), so its own start-up is not counted.
elapsed=""
time_to_first_query() {
  local db=$1 port
  port=$(free_port)
  /usr/bin/python3 - "$entented" "$db" "$port" "$work/server.log" "$work/pid" <<'PY' >"$work/elapsed"
import subprocess, sys, time
import grpc
entented, db, port, log, pid_file = sys.argv[1:]
request = b"\x0a\x03IRN\x10\x01"  # GetNeighborhoodRequest{entity_ids: ["IRN"], hops: 1}
start = time.monotonic()
server = subprocess.Popen([entented, "--db", db, "--listen", f"127.0.0.1:{port}",
                           "--drain-seconds", "0"], stdout=open(log, "a"), stderr=subprocess.STDOUT)
open(pid_file, "w").write(str(server.pid))
while True:
    # A new channel per attempt: a failed channel waits out gRPC's reconnect
    # backoff (seconds) before it tries again.
    with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        try:
            channel.unary_unary("/entente.v1.QueryService/GetNeighborhood")(request, timeout=1)
            break
        except grpc.RpcError:
            if server.poll() is not None:
                sys.exit("entented exited; see " + log)
    time.sleep(0.01)
print(f"{time.monotonic() - start:.2f}")
PY
  server_pid=$(cat "$work/pid")
  elapsed=$(cat "$work/elapsed")
}

peak_rss_mib() {  # of a running process
  awk '/VmHWM/ { printf "%.0f\n", $2 / 1024 }' "/proc/$1/status"
}

: >"$work/server.log"
lines=$(($(wc -l <"$events") - 1))
echo "events: $events ($lines lines); load average: $(cut -d' ' -f1-3 /proc/loadavg)"

# 1. Offline import.
rm -rf "$work/offline"
/usr/bin/time -f '%M' -o "$work/offline.rss" \
  "$entented" --db "$work/offline" --import "$events" 2>"$work/offline.log" || true
summary=$(grep -m1 'lines read' "$work/offline.log")
echo "offline import: ${summary#*: }"
# time(1) puts "Command exited with non-zero status" first when lines were rejected.
echo "offline import peak RSS: $(($(tail -n1 "$work/offline.rss") / 1024)) MiB"

# 2. Start-up, without and then with the graph image.
time_to_first_query "$work/offline"
echo "start, graph built from the facts: $elapsed s to the first answer"
stop_server
time_to_first_query "$work/offline"
echo "start, graph image: $elapsed s to the first answer"
stop_server
grep -E 'graph (image|from)' "$work/server.log" | sed 's/^/  server: /'

# 3. Streaming import into a running server.
rm -rf "$work/stream"
port=$(free_port)
"$entented" --db "$work/stream" --listen "127.0.0.1:$port" --drain-seconds 0 \
  >>"$work/server.log" 2>&1 &
server_pid=$!
until "$entente" --server "127.0.0.1:$port" stats >/dev/null 2>&1; do sleep 0.1; done
"$entente" --server "127.0.0.1:$port" import "$events" >"$work/stream.out" 2>&1 || true
summary=$(grep -m1 'lines read' "$work/stream.out")
echo "streaming import: ${summary#*: }"
echo "streaming import, server peak RSS: $(peak_rss_mib "$server_pid") MiB"
stop_server
rm -rf "$work/offline" "$work/stream"
