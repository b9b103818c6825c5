#!/bin/sh
# Regenerates tests/fixtures/text/medcpt_golden.jsonl: Hugging Face `tokenizers` ids for every
# PTB-XL report and every LUDB header diagnosis, tokenized with MedCPT's tokenizer.json
# (oracle: ../shared/reference/medcpt/ORACLE.md). The npm package is installed in a scratch
# folder outside the repository (TOK_DIR, default /tmp/tok); nothing from it is committed.
#   usage: tools/token_oracle/make_golden.sh            (from the repository root)
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
SHARED=${SHARED:-$ROOT/../shared}
TOK_DIR=${TOK_DIR:-/tmp/tok}
OUT=$ROOT/tests/fixtures/text/medcpt_golden.jsonl

if [ ! -d "$TOK_DIR/node_modules/@anush008/tokenizers" ]; then
  mkdir -p "$TOK_DIR"
  (cd "$TOK_DIR" && npm init -y >/dev/null && npm install @anush008/tokenizers@0.6.0)
fi
/usr/bin/python3 "$ROOT/tools/token_oracle/extract_texts.py" "$SHARED" "$TOK_DIR/texts.jsonl"
NODE_PATH=$TOK_DIR/node_modules node "$ROOT/tools/token_oracle/oracle.js" \
  "$SHARED/reference/medcpt/tokenizer.json" < "$TOK_DIR/texts.jsonl" > "$TOK_DIR/ids.txt"
/usr/bin/python3 - "$TOK_DIR/texts.jsonl" "$TOK_DIR/ids.txt" "$OUT" <<'PY'
import json, sys
texts = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
ids = [l.split() for l in open(sys.argv[2], encoding="utf-8")]
assert len(texts) == len(ids), (len(texts), len(ids))
with open(sys.argv[3], "w", encoding="utf-8") as f:
    for t, i in zip(texts, ids):
        f.write(json.dumps({"text": t, "ids": [int(x) for x in i]}, ensure_ascii=False,
                           separators=(",", ":")) + "\n")
print(f"{len(texts)} lines -> {sys.argv[3]}", file=sys.stderr)
PY
