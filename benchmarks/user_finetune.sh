#!/usr/bin/env bash
# A user's fine-tuning of the packaged pipeline on one more gold corpus (NCBI-disease), the way
# docs/training.md tells a user to do it: `spacy train kf.cfg` with the package as the sourced
# component, the user's train and devel files, gold alone (SCHEDULE=gold) or with the project's
# silver replay beside it (SCHEDULE=all); then the unseen types (BC2GM, JNLPBA) under every form,
# the seen ones (BC5CDR test) and the new corpus's test, before and after, 500 sentences a part.
#   bash benchmarks/user_finetune.sh NAME SCHEDULE SEED UPDATES [spacy train overrides...]
# Needs a finished `spacy project run all` in ROOT (default "."): its packaged pipeline
# (training/kf/model-calibrated), splits and, for SCHEDULE=all, its silver data.
# Writes runs/finetune-NAME/{before,after,after-package-threshold}-<part>.json and times.txt.
# FS: a feature store.
set -euo pipefail
NAME=$1; SCHEDULE=$2; SEED=$3; UPDATES=$4; shift 4
cd "$(dirname "$0")/.."
RUNS=${RUNS:-runs}
ROOT=${ROOT:-.}
DATA=${DATA:-../shared/data}
C=$ROOT/corpus
S=$C/splits
PACKAGE=${PACKAGE:-$ROOT/training/kf/model-calibrated}
PY=${PYTHON:-.venv/bin/python}
FS=${FS:-$C/cache/features.sqlite}
OUT=$RUNS/finetune-$NAME
mkdir -p "$OUT"
# the user's data: NCBI-disease's train, devel and test, with the one line that describes Disease
for part in train devel test; do
  [ -f "$OUT/ncbi-$part.spacy" ] || $PY -m spacy_juicer convert "$DATA/ncbi-disease/conll/$part.tsv" \
    "$OUT/ncbi-$part.spacy" --stats "$OUT/ncbi-$part.stats.json" > "$OUT/convert-$part.log"
done
$PY -c "
import sys, srsly
labels = srsly.read_json(sys.argv[1])
srsly.write_json(sys.argv[2], {'Disease': labels['Disease']})
" "$S/train.labels.json" "$OUT/ncbi.labels.json"

score() {  # score MODEL WHEN [evaluate options]
  local model=$1 when=$2; shift 2
  for part in test-bc2gm test-jnlpba seen-bc5cdr-test; do
    [ -f "$OUT/$when-$part.json" ] || $PY -m spacy_juicer evaluate "$model" "$S/$part.spacy" --forms "$S/$part.forms.json" \
      --limit 500 --name "$when/$part" --output "$OUT/$when-$part.json" --feature-store "$FS" "$@" > "$OUT/eval-$when-$part.log" 2>&1
  done
  [ -f "$OUT/$when-ncbi-test.json" ] || $PY -m spacy_juicer evaluate "$model" "$OUT/ncbi-test.spacy" --labels "$OUT/ncbi.labels.json" \
    --limit 500 --name "$when/ncbi-test" --output "$OUT/$when-ncbi-test.json" --feature-store "$FS" "$@" > "$OUT/eval-$when-ncbi.log" 2>&1
}
score "$PACKAGE" before
start=$(date +%s)
silver=()
[ "$SCHEDULE" = gold ] || silver=(--paths.silver "$C/silver.spacy" --paths.descriptions "$C/descriptions.json" --paths.views "$C/views.json")
$PY -m spacy train spacy_juicer/configs/kf.cfg --output "$OUT/train" --gpu-id -1 --system.seed "$SEED" \
  --paths.kp_model "$PACKAGE" --paths.train "$OUT/ncbi-train.spacy" --paths.labels "$OUT/ncbi.labels.json" \
  --paths.dev "$OUT/ncbi-devel.spacy" --paths.dev_labels "$OUT/ncbi.labels.json" --kf.schedule "$SCHEDULE" \
  "${silver[@]}" --paths.feature_store "$FS" --corpora.dev.limit 300 --training.max_steps "$UPDATES" \
  "$@" > "$OUT/train.log" 2>&1
echo "train_s $(( $(date +%s) - start ))" > "$OUT/times.txt"
# the threshold spacy train chose on the user's devel (a seen type alone), and the package's own
score "$OUT/train/model-last" after
package_threshold=$($PY -c "import spacy, sys; print(spacy.load(sys.argv[1]).get_pipe('zero_shot_ner').cfg['threshold'])" "$PACKAGE")
score "$OUT/train/model-last" after-package-threshold --threshold "$package_threshold"
