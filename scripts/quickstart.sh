#!/usr/bin/env bash
# The main job on the embedded defaults, on a fresh machine, CPU only:
#   1. install everything into .venv (scripts/install.sh);
#   2. convert the bundled gold corpora (BC5CDR chemicals + diseases, BC2GM genes) to DocBin;
#   3. train the zero_shot_ner student with `spacy train configs/student.cfg`: the fast mode
#      (bi-encoder, MiniLM-L6) on BC5CDR's two gold types, each update scoring 10-15 types
#      (the gold ones plus negative types from the shipped pool);
#   4. evaluate it on BC5CDR dev (seen types) and, zero-shot, on BC2GM genes (a type it never
#      saw, given only a description), and print the comparison table.
# Outputs: corpus/, training/student/model-last, metrics/ (first 1,000 sentences of each set).
# Scale: STEPS=120 updates of 8 sentences by default (JUICER-size runs: see README, "Train").
# Data come from $SPACY_JUICER_DATA, else the shared/data folder beside this checkout.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
PY=.venv/bin/python
SJ=.venv/bin/spacy-juicer
STEPS=${STEPS:-120}
ARCH=${ARCH:-spacy_juicer.BiEncoder.v1}
DATA=$($PY -c "from spacy_juicer.assets import data_dir; print(data_dir())")
DESC=spacy_juicer/corpora/descriptions
mkdir -p corpus metrics training

[ -f corpus/bc5cdr_train.spacy ] || $SJ convert "$DATA/bc5cdr/iob/train.tsv" corpus/bc5cdr_train.spacy
[ -f corpus/bc5cdr_dev.spacy ] || $SJ convert "$DATA/bc5cdr/iob/devel.tsv" corpus/bc5cdr_dev.spacy
[ -f corpus/bc2gm_test.spacy ] || $SJ convert "$DATA/bc2gm/test.tsv" corpus/bc2gm_test.spacy

if [ ! -d training/student/model-last ]; then
  $PY -m spacy train configs/student.cfg --output training/student --gpu-id -1 \
    --paths.train corpus/bc5cdr_train.spacy --paths.dev corpus/bc5cdr_dev.spacy \
    --paths.labels "$DESC/bc5cdr.json" --training.max_steps "$STEPS" \
    --components.zero_shot_ner.model.@architectures "$ARCH" --corpora.dev.limit 100
fi

$SJ evaluate training/student/model-last corpus/bc5cdr_dev.spacy --labels "$DESC/bc5cdr.json" \
  --limit 1000 --output metrics/student_bc5cdr_dev.json
$SJ evaluate training/student/model-last corpus/bc2gm_test.spacy --labels "$DESC/bc2gm.json" \
  --limit 1000 --output metrics/student_zero_shot_bc2gm.json
$SJ report metrics/student_bc5cdr_dev.json metrics/student_zero_shot_bc2gm.json
