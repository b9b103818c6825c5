#!/usr/bin/env bash
# Regenerates tests/fixtures/io/wfdb_python/wfdb_python.json: every WFDB record of the shared
# datasets (PTB-XL, LUDB, CSN, PhysioNet Challenge 2021) decoded by wfdb-python (PyPI `wfdb`,
# PhysioNet's own reader), an implementation independent of src/io/wfdb_reader.cpp.
# Uses the project's fixture venv ./.venv-fixture (ignored; created as scripts/make_venv.sh
# does, with the system site packages) and adds wfdb to it. Not needed to build or test cgdmer.
#   usage: scripts/make_wfdb_fixture.sh
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=.venv-fixture
if [ ! -x "$VENV/bin/python" ]; then
  /usr/bin/python3 -m venv --system-site-packages "$VENV"
fi
"$VENV/bin/python" -m pip install -q --disable-pip-version-check "wfdb==4.3.1"
"$VENV/bin/python" tools/make_wfdb_python_fixture.py ../shared/data tests/fixtures/io/wfdb_python/wfdb_python.json
