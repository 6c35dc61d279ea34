"""CPU inference speed of the zero_shot_ner component against the bare encoder forward pass.

For 1, 5, 10 and 20 labels and several encoder batch sizes, it runs ``nlp.pipe`` over real
PubMed sentences and, on exactly the same (sentence, description) pairs, the Hugging Face
encoder alone (pre-tokenized, padded per batch, no autograd). Writes JSON with the command,
versions and machine.

    python benchmarks/student_speed.py --docs 64 --out benchmarks/results/student_speed.json
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import sys
import time
from pathlib import Path

import numpy
import spacy
import srsly
import torch

from spacy_juicer import __version__, assets

TYPES = {
    "Disease": "A disease, disorder or syndrome of humans or animals.",
    "Chemical": "A chemical compound, element or drug.",
    "Gene": "A gene or gene product such as a protein or RNA.",
    "Cell type": "A kind of cell distinguished by its morphology or function.",
    "Species": "An organism or group of organisms such as a bacterium, virus or animal.",
    "Anatomy": "A part of the body such as an organ, tissue or body region.",
    "Procedure": "A diagnostic, therapeutic or surgical procedure.",
    "Symptom": "A sign or symptom reported by a patient or observed by a clinician.",
    "Measurement": "A quantity measured in a study, such as blood pressure or a dose.",
    "Organization": "A company, hospital, university or other institution.",
    "Location": "A country, city or other geographical place.",
    "Population": "A group of people studied, such as patients or children.",
    "Device": "A medical device or instrument.",
    "Mutation": "A change in a DNA sequence, such as a point mutation or deletion.",
    "Pathway": "A biological pathway or signalling cascade.",
    "Biomarker": "A measurable indicator of a biological state or condition.",
    "Cell line": "A population of cells grown in culture, such as HeLa cells.",
    "Study design": "The design of a clinical or scientific study, such as a randomized trial.",
    "Statistic": "A statistical measure such as a hazard ratio or p-value.",
    "Time": "A duration, time point or period such as six months.",
}


def pubmed_sentences(n: int) -> list:
    path = assets.data_dir() / "pubmed-raw-combined" / "abstracts.jsonl"
    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    out = []
    for record in srsly.read_jsonl(path):
        for sent in nlp(record["text"]).sents:
            if 5 <= len(sent) <= 60:
                out.append(sent.text)
            if len(out) >= n:
                return out
    return out


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def time_component(nlp, texts, batch_size: int) -> float:
    ner = nlp.get_pipe("zero_shot_ner")
    ner.model.attrs["batch_size"] = batch_size
    start = time.perf_counter()
    list(nlp.pipe(texts, batch_size=len(texts)))
    return time.perf_counter() - start


def time_bare(nlp, texts, descriptions, batch_size: int) -> float:
    """The encoder alone on the same pairs: tokenized up front, sorted by length, padded per
    batch, forward under no_grad. This is the ceiling the component is measured against."""
    ner = nlp.get_pipe("zero_shot_ner")
    shim = ner.model.get_ref("encoder").shims[0]
    tokenizer, transformer = shim._hfmodel.tokenizer, shim._hfmodel.transformer
    limit = ner.model.attrs["max_description_length"]
    descs = [tokenizer.decode(tokenizer(d, add_special_tokens=False)["input_ids"][:limit]) for d in descriptions]
    pairs = [(t, d) for t in texts for d in descs]
    enc = tokenizer([p[0] for p in pairs], [p[1] for p in pairs])
    order = numpy.argsort([len(ids) for ids in enc["input_ids"]])
    batches = []
    for b in range(0, len(order), batch_size):
        idx = order[b : b + batch_size]
        feats = [{k: enc[k][i] for k in enc.keys()} for i in idx]
        batches.append(tokenizer.pad(feats, return_tensors="pt"))
    transformer.eval()
    start = time.perf_counter()
    with torch.no_grad():
        for batch in batches:
            transformer(**batch)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=64)
    parser.add_argument("--labels", default="1,5,10,20")
    parser.add_argument("--batch-sizes", default="1,8,16,32,64")
    parser.add_argument("--encoder", default="sentence-transformers/all-MiniLM-L6-v2")
    parser.add_argument("--model", default=None, help="a trained pipeline (else an untrained one)")
    parser.add_argument("--out", default="benchmarks/results/student_speed.json")
    args = parser.parse_args()

    texts = pubmed_sentences(args.docs)
    if args.model:
        nlp = spacy.load(args.model)
    else:
        nlp = spacy.blank("en")
        nlp.add_pipe("zero_shot_ner", config={"labels": TYPES, "model": {"@architectures": "spacy_juicer.CrossEncoder.v1", "name": args.encoder}})
        nlp.initialize()
    ner = nlp.get_pipe("zero_shot_ner")
    n_words = sum(len(nlp.make_doc(t)) for t in texts)
    # Warm up: first calls pay for lazy initialisation.
    ner.set_labels(dict(list(TYPES.items())[:2]))
    list(nlp.pipe(texts[:4]))
    rows = []
    for n_labels in [int(x) for x in args.labels.split(",")]:
        labels = dict(list(TYPES.items())[:n_labels])
        ner.set_labels(labels)
        for bs in [int(x) for x in args.batch_sizes.split(",")]:
            comp = time_component(nlp, texts, bs)
            bare = time_bare(nlp, texts, list(labels.values()), bs)
            pairs = len(texts) * n_labels
            row = {
                "labels": n_labels,
                "batch_size": bs,
                "docs": len(texts),
                "pairs": pairs,
                "component_s": round(comp, 3),
                "component_docs_per_s": round(len(texts) / comp, 2),
                "component_pairs_per_s": round(pairs / comp, 2),
                "component_tokens_per_s": round(n_words / comp, 1),
                "bare_encoder_s": round(bare, 3),
                "bare_pairs_per_s": round(pairs / bare, 2),
                "component_vs_bare": round(bare / comp, 3),
                "peak_rss_mb": round(peak_rss_mb(), 1),
            }
            rows.append(row)
            print(json.dumps(row), flush=True)
    result = {
        "command": " ".join([Path(sys.executable).name] + sys.argv),
        "spacy_juicer": __version__,
        "spacy": spacy.__version__,
        "torch": torch.__version__,
        "torch_threads": torch.get_num_threads(),
        "machine": {"platform": platform.platform(), "processor": platform.processor(), "cpus": os.cpu_count()},
        "encoder": args.encoder,
        "docs": len(texts),
        "words": n_words,
        "note": "peak_rss_mb is the process's peak resident memory so far (monotone over rows)",
        "rows": rows,
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    srsly.write_json(args.out, result)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
