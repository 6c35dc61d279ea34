#!/usr/bin/env bash
# Knowledge fine-tuning (KF) of the quick start's KP pipeline under one design, then calibrate and
# the three test parts under every form, as `spacy project run all` scores its own KF.
#   bash benchmarks/kf_many.sh NAME PROTOCOL SEED UPDATES [spacy train overrides...]
# DESIGN=many (default): kf_many.cfg over BC5CDR + CRAFT + GRO (the split's gold parts, built once
#   per protocol into $RUNS/gold-PROTOCOL, below); DESIGN=bc5cdr: kf.cfg over BC5CDR alone, as
#   `all` runs it (the baseline; the gold parts are not needed).
# PROTOCOL: open | strict. ROOT: the folder of a finished `spacy project run all` whose KP
# pipeline, silver data and splits are used (default "."; a strict one is `all` run with
# `--vars.exclude_roles test --vars.out ROOT`).
# The gold parts of a protocol:
#   spacy-juicer split spacy_juicer/configs/splits/biomedical-gold-open.json runs/gold-open \
#     --data ../shared/data --part train --part train-craft --part train-gro
#   spacy-juicer views runs/gold-open/<part>.spacy runs/gold-open/<part>.labels.json \
#     runs/gold-open/<part>.views.json --spans-key gold          (each part)
# FS: a feature store (default ROOT's; give a copy to run beside another job).
set -euo pipefail
NAME=$1; PROTO=$2; SEED=$3; UPDATES=$4; shift 4
cd "$(dirname "$0")/.."
RUNS=${RUNS:-runs}
ROOT=${ROOT:-.}
DESIGN=${DESIGN:-many}
G=$RUNS/gold-$PROTO
OUT=$RUNS/kf-$NAME
C=$ROOT/corpus
S=$C/splits
PY=${PYTHON:-.venv/bin/python}
FS=${FS:-$C/cache/features.sqlite}
mkdir -p "$OUT"
start=$(date +%s)
common=(--output "$OUT/train" --gpu-id -1 --system.seed "$SEED" --paths.kp_model "$ROOT/training/kp/model-last"
  --paths.silver "$C/silver.spacy" --paths.descriptions "$C/descriptions.json" --paths.views "$C/views.json"
  --paths.feature_store "$FS" --paths.dev "$S/dev.spacy" --paths.dev_labels "$S/dev.labels.json"
  --paths.dev_forms "$S/dev.forms.json" --corpora.dev.limit 100 --training.max_steps "$UPDATES")
if [ "$DESIGN" = bc5cdr ]; then
  $PY -m spacy train spacy_juicer/configs/kf.cfg "${common[@]}" --paths.train "$S/train.spacy" \
    --paths.labels "$S/train.labels.json" --paths.train_views "$S/train.views.json" "$@" > "$OUT/train.log" 2>&1
else
  # the component's labels after training: every gold type, merged as the gold reader merges them
  $PY -c "
import sys, srsly
from spacy_juicer.training.gold_corpora import merged_labels
srsly.write_json(sys.argv[1], merged_labels(sys.argv[2:]))
" "$OUT/gold.labels.json" "$G/train.labels.json" "$G/train-craft.labels.json" "$G/train-gro.labels.json"
  $PY -m spacy train spacy_juicer/configs/kf_many.cfg "${common[@]}" --paths.labels "$OUT/gold.labels.json" \
    --paths.gold "[\"$G/train.spacy\",\"$G/train-craft.spacy\",\"$G/train-gro.spacy\"]" \
    --paths.gold_labels "[\"$G/train.labels.json\",\"$G/train-craft.labels.json\",\"$G/train-gro.labels.json\"]" \
    --paths.gold_views "[\"$G/train.views.json\",\"$G/train-craft.views.json\",\"$G/train-gro.views.json\"]" \
    "$@" > "$OUT/train.log" 2>&1
fi
echo "train_s $(( $(date +%s) - start ))" > "$OUT/times.txt"
$PY -m spacy_juicer calibrate "$OUT/train/model-last" "$S/dev.spacy" "$OUT/model-calibrated" \
  --forms "$S/dev.forms.json" --seen "$S/seen-bc5cdr.spacy" \
  --seen-forms "$S/seen-bc5cdr.forms.json" --limit 500 --feature-store "$FS" > "$OUT/calibrate.log" 2>&1
for part in test-bc2gm test-jnlpba seen-bc5cdr-test; do
  $PY -m spacy_juicer evaluate "$OUT/model-calibrated" "$S/$part.spacy" --forms "$S/$part.forms.json" \
    --limit 500 --name "$NAME/$part" --output "$OUT/$part.json" --feature-store "$FS" > "$OUT/eval-$part.log" 2>&1
done
echo "total_s $(( $(date +%s) - start ))" >> "$OUT/times.txt"
