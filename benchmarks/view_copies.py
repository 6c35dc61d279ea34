"""How often a training view spells out the very mention a sentence marks (``views.spells_out``):
for each (sentence, type it holds) pair of a corpus, the share of that type's views that list
one of the sentence's own mentions of it, i.e. how often a uniform draw hands the student the
answer to copy (what the readers' ``avoid_own_mentions`` removes).

    python benchmarks/view_copies.py --corpus corpus/silver.spacy --views corpus/views.json --spans-key silver
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from bench_utils import RESULTS, header, write_json  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", required=True)
    parser.add_argument("--views", required=True)
    parser.add_argument("--spans-key", default="silver", help="mentions from doc.spans[KEY] ('' for doc.ents)")
    parser.add_argument("--output", default=str(RESULTS / "zero_shot" / "view_copies.json"))
    args = parser.parse_args()

    import spacy
    from spacy.tokens import DocBin

    from spacy_juicer.corpora.views import own_mentions, read_views, spells_out

    views = read_views(args.views)
    docs = DocBin().from_disk(args.corpus).get_docs(spacy.blank("en").vocab)
    pairs = with_copy = 0
    share = 0.0
    for doc in docs:
        spans = doc.spans.get(args.spans_key, []) if args.spans_key else doc.ents
        for label, mentions in own_mentions(spans).items():
            if not views.get(label):
                continue
            copies = sum(spells_out(v, mentions) for v in views[label])
            pairs += 1
            with_copy += copies > 0
            share += copies / len(views[label])
    result = {**header(), "corpus": args.corpus, "views": args.views, "pairs": pairs,
              "mean_share_of_views_copying": share / max(pairs, 1), "pairs_with_a_copying_view": with_copy / max(pairs, 1)}
    write_json(Path(args.output), result)
    print(f"{pairs} (sentence, type) pairs: {100 * result['mean_share_of_views_copying']:.1f}% of a draw's views spell out "
          f"an own mention; {100 * result['pairs_with_a_copying_view']:.1f}% of pairs have one")


if __name__ == "__main__":
    main()
