"""The OpenAI-compatible teacher (``spacy_juicer.OpenAIChat.v1``) against a real server:
llama-cpp-python's (``python -m llama_cpp.server``) serving the embedded GGUF teacher on
127.0.0.1. Runs the ``spacy-juicer annotate`` CLI twice on a few PubMed sentences with a teacher
config written here (the shipped OpenNER prompt, the model on the server): the first run asks
the server, the second must answer every sentence from the answer cache.

Checks (exit status 1 if one fails): every answer parses (no ``failed`` status, at least one
``ok``), the second run makes no call, and the run records and cache hold no API key.

Usage (needs ``scripts/install.sh --teacher`` and the server's extras, see the docs):
  nice -n 10 .venv/bin/python benchmarks/openai_server.py -n 5 --threads 1
"""
from __future__ import annotations

import argparse
import json
import os
import shlex
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any, Dict, List

sys.path.insert(0, str(Path(__file__).parent))
import bench_utils  # noqa: E402

from spacy_juicer.teacher.models.gguf_files import resolve_gguf  # noqa: E402

OUT = bench_utils.RESULTS / "teacher" / "openai_server.json"
KEY_ENV = "JUICER_BENCH_KEY"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_request(request: urllib.request.Request, server: subprocess.Popen, log: Path, limit_s: float) -> float:
    """Seconds until the server answers ``request``; one that exits or never answers is an error with its log."""
    start = time.monotonic()
    while time.monotonic() - start < limit_s:
        if server.poll() is not None:
            raise SystemExit(f"the server exited ({server.returncode}):\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(request, timeout=2) as response:
                if response.status == 200:
                    return time.monotonic() - start
        except OSError:
            time.sleep(0.5)
    raise SystemExit(f"the server did not answer {request.full_url} within {limit_s} s:\n{log.read_text()[-3000:]}")


def teacher_config(base_url: str, model: str, max_tokens: int, system: str = "") -> str:
    system_line = f"system = {json.dumps(system)}\n" if system else ""
    return f"""[task]
@llm_tasks = "spacy_juicer.OpenNER.v1"
n_examples = 2

[model]
@llm_models = "spacy_juicer.OpenAIChat.v1"
model = "{model}"
base_url = "{base_url}"
api_key_env = "{KEY_ENV}"
concurrency = 1
timeout = 600
max_retries = 2
max_tokens = {max_tokens}
price = [0.0001, 0.0002]
{system_line}"""


def cli() -> List[str]:
    script = Path(sys.executable).parent / "spacy-juicer"
    return [str(script)] if script.exists() else [sys.executable, "-m", "spacy_juicer"]


def annotate(folder: Path, env: Dict[str, str], name: str) -> Dict[str, Any]:
    command = [*cli(), "annotate", str(folder / "input.jsonl"), str(folder / f"{name}.spacy"),
               "--config", str(folder / "teacher.cfg"), "--cache", str(folder / "answers.jsonl"),
               "--sentences", "none"]
    start = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{shlex.join(command)} failed ({done.returncode}):\n{done.stderr[-3000:]}")
    record = json.loads((folder / f"{name}.run.json").read_text())
    shown = shlex.join(["spacy-juicer", *command[len(cli()):]]).replace(str(folder), "<tmp>")
    return {"command": shown, "stdout": done.stdout.strip().replace(str(folder), "<tmp>"),
            "wall_seconds": round(seconds, 2), "record": record}


def mentions(path: Path) -> List[Dict[str, Any]]:
    """What the teacher said of each sentence, as the run parsed it."""
    import spacy
    from spacy.tokens import DocBin

    docs = DocBin().from_disk(path).get_docs(spacy.blank("en").vocab)
    return [{"text": doc.text, "raw": doc.user_data["juicer"]["raw"], "status": doc.user_data["juicer"]["status"],
             "domain": doc.user_data["juicer"].get("domain"),
             "spans": [[span.text, span.label_] for span in doc.spans["llm_raw"]]} for doc in docs]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", type=int, default=5, help="sentences")
    parser.add_argument("--gguf", default="qwen2.5-coder-1.5b-instruct", help="a known teacher or a .gguf path")
    parser.add_argument("--threads", type=int, default=1, help="the server's n_threads")
    parser.add_argument("--max-tokens", type=int, default=160)
    parser.add_argument("--system", default="", help="a system message for the teacher (default: none)")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()

    gguf = resolve_gguf(args.gguf)
    sentences = bench_utils.pubmed_sentences(args.n)
    port = free_port()
    base_url = f"http://127.0.0.1:{port}/v1"
    alias = Path(gguf).stem
    secret = "sk-bench-" + os.urandom(8).hex()  # llama.cpp checks it: the client must send it
    server_cmd = ["nice", "-n", "10", sys.executable, "-m", "llama_cpp.server", "--model", str(gguf),
                  "--model_alias", alias, "--host", "127.0.0.1", "--port", str(port),
                  "--n_threads", str(args.threads), "--n_threads_batch", str(args.threads), "--n_ctx", "2048", "--api_key", secret]
    failures: List[str] = []
    with tempfile.TemporaryDirectory(prefix="juicer-openai-") as tmp:
        folder = Path(tmp)
        (folder / "input.jsonl").write_text("".join(json.dumps({"id": f"s{i}", "text": t}) + "\n" for i, t in enumerate(sentences)))
        (folder / "teacher.cfg").write_text(teacher_config(base_url, alias, args.max_tokens, args.system))
        log = folder / "server.log"
        with log.open("w") as log_handle:
            server = subprocess.Popen(server_cmd, stdout=log_handle, stderr=subprocess.STDOUT)
        try:
            request = urllib.request.Request(f"{base_url}/models", headers={"Authorization": f"Bearer {secret}"})
            load_s = wait_for_request(request, server, log, 600)
            env = {**os.environ, KEY_ENV: secret}
            first = annotate(folder, env, "first")
            second = annotate(folder, env, "second")
            answers = mentions(folder / "first.spacy")
        finally:
            server.terminate()
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
        written = [p for p in folder.iterdir() if p.is_file() and p.name not in ("teacher.cfg", "server.log")]
        leaks = [p.name for p in written if secret.encode() in p.read_bytes()]
    r1, r2 = first["record"], second["record"]
    statuses = r1["statuses"]
    if statuses.get("failed", 0) or not statuses.get("ok", 0):
        failures.append(f"answers that do not parse: statuses {statuses}, causes {r1['failure_causes']}")
    if r2["calls"] != 0 or r2["cache_hits"] != r2["sentences"]:
        failures.append(f"the second run asked the server: {r2['calls']} calls, {r2['cache_hits']} hits")
    if leaks:
        failures.append(f"the API key was written into {leaks}")
    result = {
        **bench_utils.header(),
        "versions": bench_utils.versions("openai", "httpx2", "fastapi", "uvicorn"),
        "server": {"command": shlex.join(["nice", "-n", "10", "python", *server_cmd[4:]]).replace(secret, "<key>").replace(str(gguf), "<gguf>"),
                   "gguf": Path(gguf).name, "load_seconds": round(load_s, 1)},
        "sentences": len(sentences),
        "system": args.system or None,
        "with_domain": sum(1 for a in answers if a["domain"]),
        "price_usd_per_1k_tokens": "[0.0001, 0.0002] (made up: it shows the run record's cost_usd)",
        "first_run": {k: r1[k] for k in ("calls", "cache_hits", "requests", "retries", "failure_causes", "statuses",
                                         "input_tokens", "output_tokens", "cost_usd", "seconds", "seconds_per_sentence")},
        "second_run": {k: r2[k] for k in ("calls", "cache_hits", "requests", "statuses", "seconds")},
        "first_run_cli": {k: first[k] for k in ("command", "stdout", "wall_seconds")},
        "second_run_cli": {k: second[k] for k in ("command", "stdout", "wall_seconds")},
        "answers": answers,
        "key_in_written_files": leaks,
        "checks_failed": failures,
    }
    bench_utils.write_json(args.out, result)
    print(json.dumps({k: result[k] for k in ("server", "first_run", "second_run", "with_domain", "checks_failed")}, indent=2))
    if failures:
        raise SystemExit("FAILED: " + "; ".join(failures))


if __name__ == "__main__":
    main()
