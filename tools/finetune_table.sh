#!/bin/bash
# Fine-tuning against linear probing, from a pretrained model and from random init (issue 17,
# item 4): `cgdmer finetune` in both modes, on each task, from both starts; then one table of
# test macro metrics with 95 % CIs (tools/finetune_table.py).
#
#   tools/finetune_table.sh CGDMER PRETRAINED_RUN STORE OUT [EPOCHS_FULL] [EPOCHS_LINEAR]
#
# Splits: folds 1–7 train, 8 validation (epoch, temperature, thresholds), 9 test. The
# pretrained model must not have seen fold 9 (finetune refuses it). A finished run is reused,
# an interrupted one resumed, so the script can be re-run after a kill.
set -euo pipefail
BIN=$1; MODEL=$2; STORE=$3; OUT=$4; EF=${5:-10}; EL=${6:-100}
CONFIG=$MODEL/config.toml   # the random-init encoder has the pretrained model's shape
mkdir -p "$OUT"
for task in ptbxl_super ptbxl_form ptbxl_rhythm; do
  for start in pretrained random; do
    for mode in linear full; do
      run=$OUT/$task-$start-$mode
      if [ -f "$run/classifier.ckpt" ]; then continue; fi
      if [ -f "$run/finetune.json" ]; then
        "$BIN" finetune --resume "$run" --no-progress
        continue
      fi
      src=(--model "$MODEL"); [ $start = random ] && src=(--random-init "$CONFIG")
      epochs=$EL; [ $mode = full ] && epochs=$EF
      t0=$(date +%s)
      "$BIN" finetune "${src[@]}" --data "$STORE" --task $task --val-fold 8 --test-fold 9 \
        --mode $mode --epochs "$epochs" --out "$run" --no-progress
      echo "$task $start $mode: $(( $(date +%s) - t0 )) s" >> "$OUT/times.txt"
    done
  done
done
python3 "$(dirname "$0")/finetune_table.py" "$OUT" | tee "$OUT/table.md"
