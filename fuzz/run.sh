#!/usr/bin/env bash
# Runs one libFuzzer target over a copy of its corpus.
# Usage: fuzz/run.sh FUZZER CORPUS_DIR SECONDS WORK_DIR
# WORK_DIR gets corpus/ (the copy, grown by the run), tmp/ (the target's
# temporary store), log and any crash-*, leak-*, timeout-* or oom-* input.
# Exits non-zero when the target crashed, saying where the input is.
set -euo pipefail
fuzzer=$1 corpus=$2 seconds=$3 work=$(realpath -m "$4")
name=$(basename "$fuzzer")
case "$name" in
  fuzz_import_jsonl|fuzz_seeds) max_len=8192 ;;
  *) max_len=4096 ;;
esac
rm -rf "$work"
mkdir -p "$work/corpus" "$work/tmp"
cp -r "$corpus"/. "$work/corpus/"
status=0
# The first directory receives new inputs: the copy, never the committed one.
TMPDIR="$work/tmp" "$fuzzer" "$work/corpus" -max_total_time="$seconds" -max_len="$max_len" \
  -timeout=60 -rss_limit_mb=4096 -print_final_stats=1 -artifact_prefix="$work/" \
  >"$work/log" 2>&1 || status=$?
grep -E '^(#[0-9]+.*(DONE|INITED)|stat::|Done )' "$work/log" | sed "s|^|$name: |" || true
if [ "$status" != 0 ]; then
  tail -n 60 "$work/log"
  for f in "$work"/crash-* "$work"/leak-* "$work"/timeout-* "$work"/oom-*; do
    [ -e "$f" ] && echo "$name: FAILED (exit $status); input: $f — reproduce: $fuzzer $f"
  done
  echo "$name: FAILED (exit $status); log: $work/log"
  exit 1
fi
echo "$name: ok ($seconds s; log: $work/log)"
