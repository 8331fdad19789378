#!/usr/bin/env bash
# Builds the release packages:
# target/x86_64-unknown-linux-gnu/debian/opscheck_VERSION-1_amd64.deb (cargo-deb)
# and target/x86_64-unknown-linux-gnu/generate-rpm/opscheck-VERSION-1.x86_64.rpm
# (cargo-generate-rpm), from the metadata in Cargo.toml, with every plugin
# built in the release profile (fat LTO, stripped, panic=abort, overflow
# checks; all default features).
#
# The binaries are linked against glibc 2.17 (RHEL/CentOS 7; hence EL8, EL9,
# Debian 11+, Ubuntu 18.04+) with cargo-zigbuild: Zig's linker and its glibc
# stubs of that version, so no symbol newer than GLIBC_2.17 can be referenced.
# They land in target/x86_64-unknown-linux-gnu/release/ (the asset lists'
# target/release/, mapped by --target; tests/packaging.rs checks the symbol
# versions).
# Man pages: packaging/man/check_*.1 are written by packaging/generate.sh from
# each plugin's clap options (checked in, so a review sees them); cargo-deb
# gzips them itself, the rpm takes the copies gzipped here into target/man/.
#
# Needs: python3 -m pip install ziglang (PyPI; PIP_BREAK_SYSTEM_PACKAGES=1
# outside a venv), cargo install --locked cargo-zigbuild cargo-deb
# cargo-generate-rpm (.ci/run installs the pinned versions).
# Run packaging/generate.sh first when plugins or options changed (the tests
# say so).
#
# Usage: packaging/build-packages.sh [--binaries-only]
#   --binaries-only  build the release binaries and the gzipped man pages,
#                    not the packages (the packaging test makes its own).
set -euo pipefail
cd "$(dirname "$0")/.."

target=x86_64-unknown-linux-gnu
glibc=2.17

cargo zigbuild --release --locked --bins --target "$target.$glibc"

mkdir -p target/man
for page in packaging/man/check_*.1; do
  gzip -9 -n -c "$page" >"target/man/$(basename "$page").gz"
done

if [ "${1:-}" = --binaries-only ]; then
  exit 0
fi
# --target: both tools read the asset lists' target/release/ as
# target/$target/release/. gzip payload: EL7's rpm 4.11 cannot read the
# default, zstd (rpm 4.14+, EL8).
cargo deb --no-build --target "$target"
cargo generate-rpm --target "$target" --payload-compress gzip
ls -l target/"$target"/debian/*.deb target/"$target"/generate-rpm/*.rpm
