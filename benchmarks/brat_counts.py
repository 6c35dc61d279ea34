"""What the brat converter makes of CRAFT and BioNLP-ST 2013 GRO: documents, sentences, mentions
kept, what was dropped or moved and why, and the types (brat types and, for CRAFT, the ontology
classes of the AnnotatorNotes), so that a split file can choose its types from real counts.

    nice -n 10 python benchmarks/brat_counts.py [--data ../shared/data]

Writes benchmarks/results/corpora/brat_counts.json and .md. Each corpus folder is converted as
``spacy-juicer convert <folder> out.spacy --format brat --sentences`` would (discontinuous mentions
kept as their extent: with ``--discontinuous drop`` exactly those are dropped instead).
"""
from __future__ import annotations

import argparse
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any, Dict, List

sys.path.insert(0, str(Path(__file__).parent))
from bench_utils import RESULTS, header, write_json  # noqa: E402

from spacy_juicer.assets import data_dir  # noqa: E402
from spacy_juicer.corpora.brat import BratStats, brat_pairs, read_document, split_note  # noqa: E402
from spacy_juicer.corpora.convert import read_docs  # noqa: E402
from spacy_juicer.corpora.forms import readable_name  # noqa: E402

CORPORA = {
    "craft": {"all": "craft"},
    "gro": {s: f"bionlp-st-2013-gro/{s}" for s in ("train", "devel", "test")},
}
TOP_NOTES = 15  # ontology classes shown per brat type in the Markdown table


def count_folder(folder: Path) -> Dict[str, Any]:
    """Convert one brat folder into sentences and count everything."""
    started = time.perf_counter()
    stats = BratStats()
    sentences = 0
    ents = 0
    for doc in read_docs([folder], "brat", stats=stats, sentences=True):
        sentences += 1
        ents += len(doc.ents)
    seconds = time.perf_counter() - started
    coarse: Counter = Counter()
    notes: Dict[str, Counter] = defaultdict(Counter)
    characters = lines = 0
    for txt in brat_pairs(folder):
        parsed = read_document(txt)
        characters += len(parsed.text)
        lines += len(parsed.mentions)
        for m in parsed.mentions:
            coarse[m.type] += 1
            if m.id in parsed.notes:
                notes[m.type][split_note(parsed.notes[m.id])[1]] += 1
    dropped = {  # this run keeps discontinuous mentions: --discontinuous drop drops those
        "discontinuous": sum(stats.discontinuous_dropped.values()),
        "misaligned": sum(stats.misaligned.values()),
        "label_map": sum(stats.dropped.values()),
    }
    return {
        "documents": len(brat_pairs(folder)),
        "characters": characters,
        "sentences": sentences,
        "tokens": stats.tokens,
        "mention_lines": lines,
        "mentions_kept": stats.entities,
        "in_doc_ents": ents,
        "only_in_spans_gold (overlapping)": sum(stats.overlapping.values()),
        "discontinuous_kept_as_extent": sum(stats.discontinuous.values()),
        "dropped": dropped,
        "crossing_sentences (sentences kept together)": sum(stats.crossing_sentences.values()),
        "tokens_split_at_mention_boundaries": stats.split_tokens,
        "mentions_kept_by_splitting_tokens": sum(stats.split.values()),
        "whitespace_sentences_left_out": stats.skipped_docs,
        "skipped_annotation_lines": dict(sorted(stats.skipped_kinds.items())),
        "types": dict(coarse.most_common()),
        "type_names": {t: readable_name(t) for t, _ in coarse.most_common()},
        "note_types": {
            t: {"distinct": len(c), "counts": dict(c.most_common())} for t, c in notes.items()
        },
        "seconds": round(seconds, 2),
        "stats": stats.to_dict(),
    }


def markdown(report: Dict[str, Any]) -> str:
    lines = [
        "# brat corpora as the converter reads them",
        "",
        f"Command: `{report['command']}`  ",
        f"Machine: {report['machine']['cpu_model']}, {report['machine']['usable_cpus']} CPUs "
        f"usable, Python {report['machine']['python']}; {report['date_utc']}",
        "",
        "Sentences: spaCy's sentencizer plus a break at every line end; a mention crossing a "
        "sentence end keeps the sentences around it together. Discontinuous mentions are kept as "
        "their extent (or, with `--discontinuous drop`, exactly these are dropped).",
        "",
        "| corpus | docs | sentences | tokens | mentions | in doc.ents | only in spans | "
        "discontinuous | crossing sentences | misaligned | skipped lines | seconds |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|",
    ]
    for corpus, parts in report["corpora"].items():
        for part, r in parts.items():
            skipped = ", ".join(f"{k} {v}" for k, v in r["skipped_annotation_lines"].items()) or "0"
            lines.append(
                f"| {corpus} {part} | {r['documents']} | {r['sentences']:,} | {r['tokens']:,} | "
                f"{r['mentions_kept']:,} | {r['in_doc_ents']:,} | "
                f"{r['only_in_spans_gold (overlapping)']:,} | {r['discontinuous_kept_as_extent']:,} | "
                f"{r['crossing_sentences (sentences kept together)']:,} | "
                f"{r['dropped']['misaligned']:,} | {skipped} | {r['seconds']} |"
            )
    for corpus, parts in report["corpora"].items():
        types: Counter = Counter()
        notes: Dict[str, Counter] = defaultdict(Counter)
        for r in parts.values():
            types.update(r["types"])
            for t, n in r["note_types"].items():
                notes[t].update(n["counts"])
        lines += ["", f"## {corpus}: types ({len(types)})", "",
                  "| brat type | as words | mentions | ontology classes (notes) | most frequent classes |",
                  "|---|---|---:|---:|---|"]
        for t, n in types.most_common():
            top = ", ".join(f"{k} {v}" for k, v in notes[t].most_common(TOP_NOTES)) if notes[t] else ""
            lines.append(f"| {t} | {readable_name(t)} | {n:,} | {len(notes[t]) or ''} | {top} |")
    return "\n".join(lines) + "\n"


def main(argv: List[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=None, help="data mirror (default: found)")
    parser.add_argument("--out", type=Path, default=RESULTS / "corpora" / "brat_counts.json")
    args = parser.parse_args(argv)
    base = args.data or data_dir()
    report: Dict[str, Any] = {**header(), "corpora": {}}
    started = time.perf_counter()
    for corpus, parts in CORPORA.items():
        report["corpora"][corpus] = {}
        for part, rel in parts.items():
            result = count_folder(base / rel)
            result["folder"] = rel
            report["corpora"][corpus][part] = result
            print(f"{corpus} {part}: {result['documents']} docs, {result['sentences']} sentences, "
                  f"{result['mentions_kept']} mentions kept ({result['seconds']} s)", flush=True)
    report["seconds"] = round(time.perf_counter() - started, 1)
    write_json(args.out, report)
    md = args.out.with_suffix(".md")
    md.write_text(markdown(report), encoding="utf8")
    print(f"wrote {md}")


if __name__ == "__main__":
    main()
