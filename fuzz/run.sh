#!/usr/bin/env bash
# Build every fuzz target and run each for a fixed budget; fail on any crash, panic, broken
# invariant, leak or time-out. Usage: fuzz/run.sh [SECONDS_PER_TARGET] [TARGET…]
#
# Stable Rust, no cargo-fuzz: libfuzzer-sys links libFuzzer's driver, and these rustc flags
# add the coverage instrumentation cargo-fuzz would (sancov-module is a stable pass name; only
# the sanitizers themselves need nightly). `--target` keeps RUSTFLAGS off build scripts and
# proc-macros, which must not be instrumented.
set -euo pipefail
cd "$(dirname "$0")"
SECONDS_PER_TARGET="${1:-60}"
shift || true
if [ $# -gt 0 ]; then TARGETS=("$@"); else TARGETS=(filter patch normalize project bulk); fi
TRIPLE=$(rustc -vV | sed -n 's/^host: //p')
export RUSTFLAGS="-C passes=sancov-module \
  -C llvm-args=-sanitizer-coverage-level=4 \
  -C llvm-args=-sanitizer-coverage-inline-8bit-counters \
  -C llvm-args=-sanitizer-coverage-pc-table \
  -C llvm-args=-sanitizer-coverage-trace-compares \
  -C llvm-args=-sanitizer-coverage-stack-depth \
  --cfg fuzzing -C debug-assertions -C overflow-checks"
cargo build --locked --release --target "$TRIPLE" --bins
BIN="target/$TRIPLE/release"

failed=()
for t in "${TARGETS[@]}"; do
  # Seeds stay as they are checked in; what the run finds goes to a scratch corpus.
  work="target/corpus/$t"
  mkdir -p "$work" "artifacts/$t"
  echo "==== fuzz $t for ${SECONDS_PER_TARGET}s ===="
  if ! "$BIN/$t" "$work" "corpus/$t" \
      -max_total_time="$SECONDS_PER_TARGET" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
      -dict=dict/scim.dict -artifact_prefix="artifacts/$t/" -print_final_stats=1 2>"target/$t.log"; then
    failed+=("$t")
    tail -n 60 "target/$t.log"
  fi
  grep -E '^(stat::number_of_executed_units|stat::peak_rss_mb)|^Done' "target/$t.log" || true
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzzing failed: ${failed[*]} (inputs under fuzz/artifacts/)" >&2
  exit 1
fi
echo "fuzzing passed: ${TARGETS[*]}"
