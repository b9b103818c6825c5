#!/bin/sh
# Tokenizer throughput, ours next to Hugging Face `tokenizers` (the oracle of
# ../shared/reference/medcpt/ORACLE.md, Rust called from node), on the same input in one run:
# the 21,580 PTB-XL reports (one per line; none holds a newline), MedCPT tokenizer.json /
# the same vocabulary bundled as assets/medcpt_vocab.txt (identical ids, see the golden test).
#   usage: bench/tokenizer_vs_hf.sh [BUILD_DIR]     (default build/; needs bench_tokenizer built (CGDMER_BUILD_BENCH=ON),
#          node, and the npm package in TOK_DIR=/tmp/tok — tools/token_oracle/make_golden.sh installs it)
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-$ROOT/build}
SHARED=${SHARED:-$ROOT/../shared}
TOK_DIR=${TOK_DIR:-/tmp/tok}
TEXTS=$(mktemp /tmp/ptbxl_reports.XXXXXX.txt)
trap 'rm -f "$TEXTS"' EXIT
/usr/bin/python3 - "$SHARED/data/ptb-xl/ptbxl_database.csv" "$TEXTS" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1], newline="", encoding="utf-8")))
assert not any("\n" in r["report"] or "\r" in r["report"] for r in rows)
open(sys.argv[2], "w", encoding="utf-8").write("".join(r["report"] + "\n" for r in rows))
PY
echo "input: $(wc -l < "$TEXTS") PTB-XL reports; machine: $(nproc) cores"
BENCH=$BUILD/bench/bench_tokenizer
[ -x "$BENCH" ] || BENCH=$BUILD/bench_tokenizer
"$BENCH" --input "$TEXTS" --repeats 5
NODE_PATH=$TOK_DIR/node_modules node "$ROOT/tools/token_oracle/oracle.js" --bench \
  "$SHARED/reference/medcpt/tokenizer.json" < "$TEXTS"
