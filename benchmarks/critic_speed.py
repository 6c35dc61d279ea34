"""Throughput of the critic (all rules, with and without the POS model) on real PubMed sentences.

No LLM runs here: each sentence gets a synthetic teacher answer in the OpenNER format (2-6
word windows of the sentence itself, plus one mention not in it, types drawn from a Zipf list
with case/plural variants, a domain from a short list), parsed by the teacher's real OpenNER
task into the raw DocBin contract. The counts of the rules are therefore not meaningful; the
time per sentence is. Writes JSON with the command, versions and machine.

    python benchmarks/critic_speed.py --sentences 2000 --out benchmarks/results/critic_speed.json
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import random
import sys
import time
from pathlib import Path

import spacy
import srsly

from spacy_juicer import __version__, assets
from spacy_juicer.silver.critic import CriticOptions, critic_docs, load_pos_model
from spacy_juicer.teacher.open_ner.task import make_open_ner_task

DOMAINS = ["biomedicine", "medicine", "Molecular biology", "oncology", "pharmacology", "genetics"]
TYPES = ["Disease", "Protein", "Chemical", "Cell type", "Gene", "Medical procedure", "Organism", "Anatomical structure"]


def sentences(n: int):
    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    out = []
    for record in srsly.read_jsonl(assets.data_dir() / "pubmed-raw-combined" / "abstracts.jsonl"):
        for sent in nlp(record["text"]).sents:
            if 8 <= len(sent) <= 60:
                out.append(sent.text.strip())
                if len(out) >= n:
                    return out
    return out


def raw_docs(texts, seed: int = 0):
    rng = random.Random(seed)
    task = make_open_ner_task()
    nlp = spacy.blank("en")
    weights = [1 / (i + 1) ** 1.2 for i in range(len(TYPES) * 30)]
    names = [t if i < len(TYPES) else f"{TYPES[i % len(TYPES)]} {i}" for i, t in enumerate(TYPES * 30)]
    docs = []
    for i, text in enumerate(texts):
        doc = nlp.make_doc(text)
        words = [t.text for t in doc if t.is_alpha]
        items = []
        for _ in range(rng.randint(1, 5)):
            if len(words) < 3:
                break
            start = rng.randrange(len(words) - 2)
            label = rng.choices(names, weights)[0]
            label = rng.choice([label, label.lower(), label + "s"])
            items.append(f"{' '.join(words[start:start + rng.randint(1, 3)])} ({label})")
        items.append("made-up mention (Disease)")
        doc.user_data["juicer"] = {"id": f"bench:{i}"}
        task.annotate(doc, f" {rng.choice(DOMAINS)}\nNamed Entities: " + ", ".join(items))
        docs.append(doc)
    return docs


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sentences", type=int, default=2000)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/critic_speed.json"))
    args = parser.parse_args()
    texts = sentences(args.sentences)
    t0 = time.perf_counter()
    load_pos_model()
    load_seconds = time.perf_counter() - t0
    runs = {}
    for name, options in (("pos", CriticOptions()), ("no_pos", CriticOptions(use_pos=False))):
        docs = raw_docs(texts)
        start = time.perf_counter()
        _, report = critic_docs(docs, options)
        seconds = time.perf_counter() - start
        runs[name] = {
            "seconds": round(seconds, 3),
            "sentences_per_second": round(len(docs) / seconds, 1),
            "before": report["before"],
            "after": report["after"],
        }
        print(name, runs[name], flush=True)
    result = {
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "sentences": len(texts),
        "pos_model_load_seconds": round(load_seconds, 3),
        "runs": runs,
        "versions": {"spacy-juicer": __version__, "spacy": spacy.__version__, "python": platform.python_version()},
        "machine": {"platform": platform.platform(), "cpus": os.cpu_count(), "processor": platform.processor()},
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
