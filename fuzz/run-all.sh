#!/usr/bin/env bash
# Runs every fuzz target in fuzz_targets/ with libFuzzer (cargo fuzz, nightly):
#   fuzz/run-all.sh [SECONDS_PER_TARGET] [TARGET...]     (default 120 s, all targets)
# Seeds each target's corpus from examples/ and the tests' fixtures (once), then
# runs it with -timeout=2 (a hang) and -rss_limit_mb=256 (out of memory), and
# prints one line per target: executions, corpus size, and any crash found.
# Exit status 1 when a target crashed. CI does not run this (stable toolchain).
set -uo pipefail
cd "$(dirname "$0")"
seconds=${1:-120}
shift || true
targets=("$@")
if [ "${#targets[@]}" -eq 0 ]; then
  mapfile -t targets < <(ls fuzz_targets/*.rs | xargs -n1 basename | sed 's/\.rs$//' | LC_ALL=C sort)
fi
# Every target file must be declared in Cargo.toml (cargo fuzz builds only those).
for t in "${targets[@]}"; do
  grep -q "^name = \"$t\"$" Cargo.toml || { echo "fuzz/Cargo.toml has no [[bin]] for $t" >&2; exit 2; }
done
seed() { # target: copies recorded examples whose directory name starts with the target's first word
  local t=$1 first=${1%%_*} dir=corpus/$1
  mkdir -p "$dir"
  [ -n "$(ls -A "$dir" 2>/dev/null)" ] && return
  find ../examples ../tests -type f -size -256k \( -path "*/${first}*" -o -path "*${first}*" \) 2>/dev/null \
    | grep -v '\.rs$' | while read -r f; do cp "$f" "$dir/$(echo "$f" | tr '/' '_')"; done
  [ -n "$(ls -A "$dir")" ] || printf '1' > "$dir/seed"
}
failed=0
printf '%-24s %12s %8s %s\n' target executions corpus result
for t in "${targets[@]}"; do
  seed "$t"
  log=$(mktemp)
  cargo +nightly fuzz run "$t" "corpus/$t" -- -max_total_time="$seconds" -timeout=2 \
    -rss_limit_mb=256 -print_final_stats=1 >"$log" 2>&1
  rc=$?
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
  corpus=$(ls "corpus/$t" | wc -l)
  if [ $rc -eq 0 ]; then
    result=ok
  else
    failed=1
    result="CRASH: $(grep -m1 -E 'ERROR: libFuzzer|panicked at|deadly signal|Test unit written' "$log" | head -c 160) (log $log)"
  fi
  printf '%-24s %12s %8s %s\n' "$t" "${execs:-?}" "$corpus" "$result"
  [ $rc -eq 0 ] && rm -f "$log"
done
exit $failed
