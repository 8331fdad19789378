#!/usr/bin/env bash
# Builds the release packages: target/debian/opscheck_VERSION-1_amd64.deb
# (cargo-deb) and target/generate-rpm/opscheck-VERSION-1.x86_64.rpm
# (cargo-generate-rpm), from the metadata in Cargo.toml, with every plugin
# built in the release profile (fat LTO, stripped; all default features).
# Needs: cargo install --locked cargo-deb cargo-generate-rpm
# Run packaging/generate.sh first when plugins or options changed (the tests
# say so).
set -euo pipefail
cd "$(dirname "$0")/.."

cargo build --release --locked --bins
cargo deb --no-build
cargo generate-rpm
ls -l target/debian/*.deb target/generate-rpm/*.rpm
