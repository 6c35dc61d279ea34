"""Why a model finds nothing: the probability it gives each gold mention's own type, against
the highest probability it gives any type on the other tokens.

    python benchmarks/probability_profile.py MODEL DATA.spacy LABELS.json --limit 200
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy

sys.path.insert(0, str(Path(__file__).parent))
from bench_utils import RESULTS, header, write_json  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model")
    parser.add_argument("data")
    parser.add_argument("labels")
    parser.add_argument("--limit", type=int, default=200)
    parser.add_argument("--output", default=str(RESULTS / "zero_shot" / "probability_profile.json"))
    args = parser.parse_args()

    import spacy

    from spacy_juicer.corpora.labels import read_labels_file
    from spacy_juicer.evaluation import load_gold
    from spacy_juicer.student.decoding import type_probabilities

    nlp = spacy.load(args.model)
    ner = nlp.get_pipe("zero_shot_ner")
    gold = load_gold(args.data, nlp.vocab, args.limit)
    labels = read_labels_file(args.labels)
    names = list(labels)
    with ner.using(labels=labels, check_names=False):  # the descriptions' own reading, one column a type
        scores = ner.predict_all([ner.copy_for_prediction(doc) for doc in gold])
    own, other = [], []
    for doc, s in zip(gold, scores):
        probs = type_probabilities(numpy.asarray(s))
        label = numpy.full(len(doc), -1)
        for ent in doc.ents:
            if ent.label_ in names:
                label[ent.start : ent.end] = names.index(ent.label_)
        for i in range(len(doc)):
            (own if label[i] >= 0 else other).append(probs[i, label[i]] if label[i] >= 0 else probs[i].max())
    own, other = numpy.asarray(own), numpy.asarray(other)
    result = {
        **header(),
        "model": args.model, "data": args.data, "limit": args.limit,
        "entity_tokens": len(own), "other_tokens": len(other),
        "own_type_p_quantiles_10_50_90": numpy.quantile(own, [0.1, 0.5, 0.9]).round(4).tolist(),
        "other_tokens_max_p_quantiles_50_90_99": numpy.quantile(other, [0.5, 0.9, 0.99]).round(4).tolist(),
        "share_at_threshold": {str(t): {"entity": float((own >= t).mean()), "other": float((other >= t).mean())}
                               for t in (0.5, 0.3, 0.1)},
    }
    print(result)
    write_json(Path(args.output), result)


if __name__ == "__main__":
    main()
