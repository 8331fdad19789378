#!/usr/bin/env bash
# Runs every fuzz target in fuzz_targets/ with libFuzzer (cargo fuzz, nightly):
#   fuzz/run-all.sh [SECONDS_PER_TARGET] [TARGET...]     (default 600 s, all targets)
#   RUNS=N fuzz/run-all.sh ...                           (default 1000000 executions)
# Builds every target once (`cargo fuzz build -O -a -s none`), then runs each built binary
# until it has made RUNS executions or SECONDS have passed, whichever is first,
# so editing the sources while it runs changes nothing. Each target's corpus
# is seeded from examples/ and the tests' fixtures (once). libFuzzer runs with
# -timeout=2 (a hang) and -rss_limit_mb=256 (out of memory).
# Prints one line per target: executions, executions per second, corpus size,
# and the result: ok, SHORT (fewer than RUNS in the time given) or CRASH with
# the first line of the report and the log's path (crash inputs are written to
# artifacts/TARGET/). Exit status 1 when a target crashed or fell short.
# CI does not run this (it keeps to the stable toolchain).
set -uo pipefail
cd "$(dirname "$0")"
seconds=${1:-600}
shift || true
runs=${RUNS:-1000000}
targets=("$@")
if [ "${#targets[@]}" -eq 0 ]; then
  mapfile -t targets < <(ls fuzz_targets/*.rs | xargs -n1 basename | sed 's/\.rs$//' | LC_ALL=C sort)
fi
# Every target file must be declared in Cargo.toml (cargo fuzz builds only those).
for t in "${targets[@]}"; do
  grep -q "^name = \"$t\"$" Cargo.toml || { echo "fuzz/Cargo.toml has no [[bin]] for $t: run fuzz/generate.sh" >&2; exit 2; }
done
# No sanitizer: the parsers are safe Rust, so AddressSanitizer finds nothing
# there and its quarantine alone passes 256 MB of RSS; without it the RSS limit
# measures the parsers' own memory and each target runs ~2x faster. -a turns on
# debug assertions and overflow checks, as the release profile has them.
cargo +nightly fuzz build -O -a -s none >/dev/null 2>build.log || { cat build.log >&2; exit 2; }
bin=target/x86_64-unknown-linux-gnu/release
seed() { # target: copies recorded examples whose path names the target's first word
  local t=$1 first=${1%%_*} dir=corpus/$1
  mkdir -p "$dir"
  [ -n "$(ls -A "$dir" 2>/dev/null)" ] && return
  find ../examples ../tests -type f -size -256k \( -path "*/${first}*" -o -path "*${first}*" \) 2>/dev/null \
    | grep -v '\.rs$' | while read -r f; do cp "$f" "$dir/$(echo "$f" | tr '/' '_')"; done
  [ -n "$(ls -A "$dir")" ] || printf '1' > "$dir/seed"
}
failed=0
printf '%-22s %12s %8s %8s %s\n' target executions exec/s corpus result
for t in "${targets[@]}"; do
  seed "$t"
  mkdir -p "artifacts/$t"
  log=$(mktemp "/tmp/fuzz-$t.XXXXXX")
  start=$(date +%s.%N)
  "$bin/$t" "corpus/$t" -runs="$runs" -max_total_time="$seconds" -timeout=2 -rss_limit_mb=256 \
    -artifact_prefix="artifacts/$t/" -print_final_stats=1 >"$log" 2>&1
  rc=$?
  took=$(echo "$(date +%s.%N) - $start" | bc)
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
  rate=$(echo "${execs:-0} / $took" | bc)
  corpus=$(ls "corpus/$t" | wc -l)
  if [ $rc -ne 0 ]; then
    failed=1
    result="CRASH: $(grep -m1 -E 'ERROR: libFuzzer|panicked at|deadly signal' "$log" | head -c 160) (log $log)"
  elif [ "${execs:-0}" -lt "$runs" ]; then
    failed=1
    result="SHORT: fewer than $runs in ${seconds} s (log $log)"
  else
    result=ok
    rm -f "$log"
  fi
  printf '%-22s %12s %8s %8s %s\n' "$t" "${execs:-?}" "$rate" "$corpus" "$result"
done
exit $failed
