#!/usr/bin/env bash
# Rewrites the [[bin]] list of fuzz/Cargo.toml (between the BEGIN/END lines)
# from the files in fuzz/fuzz_targets/: one target per file, named after it.
set -euo pipefail
cd "$(dirname "$0")"
python3 - <<'PY'
import os, re
names = sorted(f[:-3] for f in os.listdir("fuzz_targets") if f.endswith(".rs"))
blocks = "".join(
    f'[[bin]]\nname = "{n}"\npath = "fuzz_targets/{n}.rs"\ntest = false\ndoc = false\nbench = false\n\n'
    for n in names
)
text = open("Cargo.toml").read()
text = re.sub(r"# BEGIN targets.*?# END targets",
              "# BEGIN targets (fuzz/generate.sh: one [[bin]] per file in fuzz_targets/)\n"
              + blocks.rstrip() + "\n# END targets", text, flags=re.S)
open("Cargo.toml", "w").write(text)
print(f"fuzz/Cargo.toml: {len(names)} targets")
PY
