#!/bin/sh
# Regenerates src/text/hf_unicode_overrides.inc: the code points where Hugging Face
# `tokenizers` (BertNormalizer + BertPreTokenizer; its category tables are older than Unicode
# 15, its lower-casing newer) treats a character differently from what utf8proc's Unicode 15
# tables give. Sweeps every code point ≥ U+0080 through both (a few seconds each) and lists
# the differences; also writes the per-block sweep hashes the unicode test checks
# (tests/fixtures/text/unicode_sweep_hashes.txt).
#   usage: tools/token_oracle/make_unicode_overrides.sh     (npm package in TOK_DIR=/tmp/tok)
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
SHARED=${SHARED:-$ROOT/../shared}
TOK_DIR=${TOK_DIR:-/tmp/tok}
WORK=$(mktemp -d /tmp/unicode_sweep.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
g++ -O2 -o "$WORK/unicode_classes" "$ROOT/tools/token_oracle/unicode_classes.cpp" -lutf8proc
"$WORK/unicode_classes" > "$WORK/utf8proc.txt"
NODE_PATH=$TOK_DIR/node_modules node "$ROOT/tools/token_oracle/unicode_sweep.js" \
  "$SHARED/reference/medcpt/tokenizer.json" > "$WORK/hf.txt"
/usr/bin/python3 "$ROOT/tools/token_oracle/merge_unicode_sweep.py" "$WORK/utf8proc.txt" "$WORK/hf.txt" \
  "$ROOT/src/text/hf_unicode_overrides.inc" "$ROOT/tests/fixtures/text/unicode_sweep_hashes.txt"
