#!/usr/bin/env bash
# Regenerates what is derived from the plugins themselves:
#   packaging/icinga2/opscheck-commands.conf  (one CheckCommand per plugin)
#   packaging/nagios/opscheck-commands.cfg    (one define command per plugin)
#   packaging/man/check_NAME.1                (one man page per plugin, section 1)
#   the plugin lists of [package.metadata.deb] and [package.metadata.generate-rpm]
# Each plugin prints its own definitions and man page from its clap options
# (OPSCHECK_PRINT_DEFINITION=icinga2|nagios|man, see src/definitions.rs), so run this
# after adding a plugin or changing options. tests/definitions.rs and
# tests/packaging.rs fail when a checked-in file differs from this output.
#
# Usage: packaging/generate.sh
# Builds with all default features (every plugin) in the dev profile: the
# definitions do not depend on optimisation, and it is much faster than release.
set -euo pipefail
cd "$(dirname "$0")/.."

cargo build --bins
target_dir=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')

mapfile -t plugins < <(find bin -maxdepth 1 -name 'check_*.rs' -printf '%f\n' | sed 's/\.rs$//' | LC_ALL=C sort)
missing=()
for p in "${plugins[@]}"; do
  [ -x "$target_dir/debug/$p" ] || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "not built (a cargo feature off?): ${missing[*]}; build with the default features" >&2
  exit 1
fi

generate() { # scheduler output-file
  local scheduler=$1 out=$2 tmp first=1
  tmp=$(mktemp)
  for p in "${plugins[@]}"; do
    [ "$first" = 1 ] || echo >>"$tmp"
    first=0
    OPSCHECK_PRINT_DEFINITION=$scheduler "$target_dir/debug/$p" >>"$tmp"
  done
  mv "$tmp" "$out"
  chmod 644 "$out"
  echo "wrote $out (${#plugins[@]} plugins)"
}
generate icinga2 packaging/icinga2/opscheck-commands.conf
generate nagios packaging/nagios/opscheck-commands.cfg

# Man pages: checked in (a review sees what a user reads), gzipped at package
# time (packaging/build-packages.sh). A page whose plugin is gone goes too.
mkdir -p packaging/man
rm -f packaging/man/check_*.1
for p in "${plugins[@]}"; do
  OPSCHECK_PRINT_DEFINITION=man "$target_dir/debug/$p" >"packaging/man/$p.1"
  chmod 644 "packaging/man/$p.1"
done
echo "wrote packaging/man/check_*.1 (${#plugins[@]} plugins)"

# The packages' plugin lists, between the BEGIN/END lines of each section.
python3 - "${plugins[@]}" <<'PY'
import re, sys
plugins = sys.argv[1:]
# The release binaries. cargo-deb and cargo-generate-rpm map target/release/ to
# target/x86_64-unknown-linux-gnu/release/ (where cargo zigbuild puts the glibc
# 2.17 build) when given --target, as packaging/build-packages.sh does; they
# refuse a hard-coded target path.
bins = "target/release"
deb = "".join(
    f'    ["{bins}/{p}", "usr/lib/nagios/plugins/", "755"],\n'
    f'    ["packaging/man/{p}.1", "usr/share/man/man1/", "644"],\n'
    for p in plugins)
rpm = "".join(
    f'    {{ source = "{bins}/{p}", dest = "/usr/lib64/nagios/plugins/{p}", mode = "755" }},\n'
    f'    {{ source = "target/man/{p}.1.gz", dest = "/usr/share/man/man1/{p}.1.gz", mode = "644", doc = true }},\n'
    for p in plugins)
text = open("Cargo.toml").read()
pattern = re.compile(r"(    # BEGIN plugins \(packaging/generate.sh\)\n)(.*?)(    # END plugins\n)", re.S)
blocks = pattern.findall(text)
if len(blocks) != 2:
    sys.exit("Cargo.toml: expected two BEGIN/END plugin lists (deb, then rpm)")
lists = iter([deb, rpm])
text = pattern.sub(lambda m: m.group(1) + next(lists) + m.group(3), text)
open("Cargo.toml", "w").write(text)
print(f"wrote the package plugin lists in Cargo.toml ({len(plugins)} plugins)")
PY
