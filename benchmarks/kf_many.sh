#!/usr/bin/env bash
# KF on many gold corpora (kf_many.cfg) over the quick start's KP pipeline, then calibrate and
# the three test parts under every form, as `spacy project run all` scores its own KF.
#   bash benchmarks/kf_many.sh NAME PROTOCOL SEED UPDATES [spacy train overrides...]
# PROTOCOL: open | strict. Needs a finished `spacy project run all` (training/kp/model-last,
# corpus/) and the gold parts of the split, built once per protocol into $RUNS/gold-PROTOCOL:
#   spacy-juicer split spacy_juicer/configs/splits/biomedical-gold-open.json runs/gold-open \
#     --data ../shared/data --part train --part train-craft --part train-gro
#   spacy-juicer views runs/gold-open/<part>.spacy runs/gold-open/<part>.labels.json \
#     runs/gold-open/<part>.views.json --spans-key gold          (each part)
# FS: a feature store (default the quick start's; give a copy to run beside another job).
set -euo pipefail
NAME=$1; PROTO=$2; SEED=$3; UPDATES=$4; shift 4
cd "$(dirname "$0")/.."
RUNS=${RUNS:-runs}
G=$RUNS/gold-$PROTO
OUT=$RUNS/kf-$NAME
PY=${PYTHON:-.venv/bin/python}
FS=${FS:-corpus/cache/features.sqlite}
mkdir -p "$OUT"
# the component's labels after training: every gold type, merged as the gold reader merges them
$PY -c "
import sys, srsly
from spacy_juicer.training.gold_corpora import merged_labels
srsly.write_json(sys.argv[1], merged_labels(sys.argv[2:]))
" "$OUT/gold.labels.json" "$G/train.labels.json" "$G/train-craft.labels.json" "$G/train-gro.labels.json"
start=$(date +%s)
$PY -m spacy train spacy_juicer/configs/kf_many.cfg --output "$OUT/train" --gpu-id -1 --system.seed "$SEED" \
  --paths.kp_model training/kp/model-last --paths.labels "$OUT/gold.labels.json" \
  --paths.gold "[\"$G/train.spacy\",\"$G/train-craft.spacy\",\"$G/train-gro.spacy\"]" \
  --paths.gold_labels "[\"$G/train.labels.json\",\"$G/train-craft.labels.json\",\"$G/train-gro.labels.json\"]" \
  --paths.gold_views "[\"$G/train.views.json\",\"$G/train-craft.views.json\",\"$G/train-gro.views.json\"]" \
  --paths.silver corpus/silver.spacy --paths.descriptions corpus/descriptions.json --paths.views corpus/views.json \
  --paths.feature_store "$FS" --paths.dev corpus/splits/dev.spacy \
  --paths.dev_labels corpus/splits/dev.labels.json --paths.dev_forms corpus/splits/dev.forms.json \
  --corpora.dev.limit 100 --training.max_steps "$UPDATES" "$@" > "$OUT/train.log" 2>&1
echo "train_s $(( $(date +%s) - start ))" > "$OUT/times.txt"
$PY -m spacy_juicer calibrate "$OUT/train/model-last" corpus/splits/dev.spacy "$OUT/model-calibrated" \
  --forms corpus/splits/dev.forms.json --seen corpus/splits/seen-bc5cdr.spacy \
  --seen-forms corpus/splits/seen-bc5cdr.forms.json --limit 500 --feature-store "$FS" > "$OUT/calibrate.log" 2>&1
for part in test-bc2gm test-jnlpba seen-bc5cdr-test; do
  $PY -m spacy_juicer evaluate "$OUT/model-calibrated" "corpus/splits/$part.spacy" --forms "corpus/splits/$part.forms.json" \
    --limit 500 --name "$NAME/$part" --output "$OUT/$part.json" --feature-store "$FS" > "$OUT/eval-$part.log" 2>&1
done
echo "total_s $(( $(date +%s) - start ))" >> "$OUT/times.txt"
