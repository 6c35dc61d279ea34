"""A stop-gap for the real run while the `teacher` branch's tasks and `spacy-juicer annotate`
are not there yet: the JUICER open prompt (benchmarks/prompts/juicer_open.txt, fixed few-shot
prefix first, sentence last), the embedded teacher, a resumable answer cache, and the raw
teacher DocBin of the data contract (doc.spans["llm_raw"], doc.user_data["juicer"]).

Not product code: once `spacy-juicer annotate` exists, use it (same outputs).

Usage:
  python benchmarks/minimal_annotate.py --n 300 --out corpus/raw_minimal.spacy
"""
from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
import time
from pathlib import Path
from typing import List, Optional, Tuple

sys.path.insert(0, str(Path(__file__).parent))

import spacy  # noqa: E402
import srsly  # noqa: E402
from spacy.tokens import DocBin, SpanGroup  # noqa: E402
from tqdm import tqdm  # noqa: E402

from spacy_juicer.assets import data_dir  # noqa: E402
from spacy_juicer.teacher.models.llama_cpp import LlamaCpp  # noqa: E402

TEMPLATE = Path(__file__).parent / "prompts" / "juicer_open.txt"
ITEM = re.compile(r"\s*(.*?)\s*\(([^()]*)\)\s*(?=,|;|$)")


def parse(answer: str) -> Tuple[Optional[str], List[List[str]], str]:
    """(domain, [[mention, type], ...], status) from 'domain\nNamed Entities: m (T), ...'.
    Through the chat API the model often skips the domain line and answers with the
    entity list alone: a line of 'mention (Type)' items is then the list."""
    domain, entities = None, None
    lines = [l.strip() for l in answer.strip().splitlines() if l.strip()]
    for i, line in enumerate(lines):
        if line.lower().startswith("named entities:"):
            entities = line.split(":", 1)[1]
            break
        if line.lower().startswith("domain:"):
            domain = line.split(":", 1)[1].strip() or None
        elif ITEM.match(line) and ITEM.findall(line) and entities is None:
            entities = line
            break
        elif i == 0 and "(" not in line:
            domain = line
    if entities is None:
        return domain, [], "malformed" if lines else "empty"
    mentions = [[m.strip(" ,;"), t.strip()] for m, t in ITEM.findall(entities) if m.strip(" ,;") and t.strip()]
    if not mentions:
        empty = not entities.strip() or entities.strip().lower().strip(".") in {"none", "n/a"}
        return domain, [], "empty" if empty else "malformed"
    return domain, mentions, "ok"


def spans_for(doc, mentions: List[List[str]]):
    spans = []
    for mention, label in mentions:
        candidates = [mention]
        stripped = re.sub(r"\s*\([^()]*\)$", "", mention)
        if stripped != mention:
            candidates.append(stripped)
        for text in candidates:
            found = False
            for match in re.finditer(re.escape(text), doc.text):
                span = doc.char_span(match.start(), match.end(), label=label, alignment_mode="expand")
                if span is not None:
                    spans.append(span)
                    found = True
            if found:
                break
    return spans


def sentences(n: int, skip: int = 0):
    """(id, sentence) pairs: every sentence of the abstracts, in file order."""
    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    path = data_dir() / "pubmed-raw-combined" / "abstracts.jsonl"
    count = 0
    for record in srsly.read_jsonl(path):
        for i, sent in enumerate(nlp(record["text"]).sents):
            text = sent.text.strip()
            if len(sent) < 5:
                continue
            count += 1
            if count <= skip:
                continue
            yield f"{record['id']}#{i}", record.get("source"), text
            if count - skip >= n:
                return


def cache_key(settings: str, prompt: str) -> str:
    return hashlib.sha1((settings + "\0" + prompt).encode()).hexdigest()


def settings_string(template: str, model: LlamaCpp) -> str:
    return json.dumps({"template": template, **model.settings()}, sort_keys=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=300)
    parser.add_argument("--model", default="qwen2.5-coder-1.5b-instruct")
    parser.add_argument("--threads", type=int, default=0)
    parser.add_argument("--out", default="corpus/raw_minimal.spacy")
    parser.add_argument("--cache", default="corpus/minimal_cache.jsonl")
    args = parser.parse_args()

    template = TEMPLATE.read_text(encoding="utf8")
    model = LlamaCpp(args.model, n_threads=args.threads or None)
    settings = settings_string(template, model)
    cache_path = Path(args.cache)
    cache = {}
    if cache_path.exists():
        cache = {r["key"]: r for r in srsly.read_jsonl(cache_path)}
    nlp = spacy.blank("en")
    docs = []
    cached = 0
    start = time.perf_counter()
    with cache_path.open("a", encoding="utf8") as handle:
        for rid, source, text in tqdm(list(sentences(args.n)), desc="annotate"):
            prompt = template.replace("{text}", text)
            key = cache_key(settings, prompt)
            if key in cache:
                record = cache[key]
                cached += 1
            else:
                t0 = time.perf_counter()
                answer = model.complete(prompt)
                record = {"key": key, "id": rid, "answer": answer, "seconds": time.perf_counter() - t0}
                handle.write(json.dumps(record) + "\n")
                handle.flush()
            domain, mentions, status = parse(record["answer"])
            doc = nlp.make_doc(text)
            doc.spans["llm_raw"] = SpanGroup(doc, name="llm_raw", spans=spans_for(doc, mentions))
            doc.user_data["juicer"] = {
                "id": rid, "domain": domain, "status": status, "raw": record["answer"],
                "mentions": mentions, "task": "juicer_open (benchmarks/minimal_annotate.py)",
                "model": model.name,
            }
            docs.append(doc)
    seconds = time.perf_counter() - start
    DocBin(docs=docs, store_user_data=True).to_disk(args.out)
    print(json.dumps({"sentences": len(docs), "cached": cached, "seconds": round(seconds, 2),
                      "model_loaded": model._llm is not None, "usage": model.usage, "out": args.out}))


if __name__ == "__main__":
    main()
