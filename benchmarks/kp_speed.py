"""KP sentence reads per second inside ``spacy train``: today's fine-tuned fast mode against
the frozen-encoder mode (issue "KP at scale").

Each architecture is trained twice with ``configs/kp.cfg`` on the same silver corpus, for S and
2S updates; the difference of the two wall times over S updates is the steady cost of an
update (start-up and the one step-0 evaluation cancel out). In frozen mode an untimed run of S
updates comes first and fills the feature store, so that neither timed run computes features
(else the first would pay for all of them). Reads per second = batch size / seconds per update.

    python benchmarks/kp_speed.py --silver corpus/silver.spacy --descriptions corpus/descriptions.json \
        --dev corpus/splits/dev.spacy --dev-labels corpus/splits/dev.labels.json
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import srsly

sys.path.insert(0, str(Path(__file__).parent))
from bench_utils import RESULTS, header  # noqa: E402

ARCHS = {
    # today's default: the fast mode fine-tuned end to end, 8 sentences an update
    "bi_finetuned": {"arch": "spacy_juicer.BiEncoder.v1", "batch": 8, "lr": "1e-4", "steps": 15, "extra": []},
    # the frozen encoder with its feature store, 32 sentences an update
    # with the settings `spacy project run all` uses (views, balanced loss, near-synonym check)
    "frozen": {"arch": "spacy_juicer.FrozenBiEncoder.v1", "batch": 32, "lr": "1e-3", "steps": 200, "extra": [
        "--components.zero_shot_ner.mask_prob", "0", "--components.zero_shot_ner.balance", "per_type",
        "--components.zero_shot_ner.near_type_similarity", "0.7"]},
}
# the richer heads of the frozen mode: token-to-description cross-attention, and the encoder's
# top layer trainable over cached lower-layer states
ARCHS["frozen_cross_attention"] = {**ARCHS["frozen"], "extra": [
    *ARCHS["frozen"]["extra"], "--components.zero_shot_ner.model.interaction", "cross_attention"]}
ARCHS["frozen_top1"] = {**ARCHS["frozen"], "steps": 50, "extra": [
    *ARCHS["frozen"]["extra"], "--components.zero_shot_ner.model.trainable_layers", "1"]}
# tokens from MiniLM's layers 2, 4 and 6 side by side (`all`'s default since 2026-12-05)
ARCHS["frozen_layers"] = {**ARCHS["frozen"], "extra": [
    *ARCHS["frozen"]["extra"], "--components.zero_shot_ner.model.token_layers", "[2,4,6]"]}


def train(args, name: str, steps: int, out: Path, store: Path) -> float:
    spec = ARCHS[name]
    cmd = [
        sys.executable, "-m", "spacy", "train", "configs/kp.cfg", "--output", str(out / f"{name}_{steps}"),
        "--paths.silver", args.silver, "--paths.descriptions", args.descriptions,
        "--paths.dev", args.dev, "--paths.dev_labels", args.dev_labels, "--paths.feature_store", str(store),
        "--components.zero_shot_ner.model.@architectures", spec["arch"],
        "--corpora.dev.limit", "20", "--kp.max_updates", str(steps), "--kp.docs_per_step", "512",
        "--training.batcher.size", str(spec["batch"]), "--training.eval_frequency", str(10 * steps),
        "--training.optimizer.learn_rate.initial_rate", spec["lr"],
        "--training.optimizer.learn_rate.warmup_steps", "10", "--training.logger.progress_bar", "false",
        *(["--paths.views", args.views] if args.views else []), *(["--paths.encoder", args.encoder] if args.encoder else []),
        *spec["extra"],
    ]
    start = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--silver", required=True)
    parser.add_argument("--descriptions", required=True)
    parser.add_argument("--dev", required=True)
    parser.add_argument("--dev-labels", required=True)
    parser.add_argument("--views", default="", help="views file of the silver types (spacy-juicer views)")
    parser.add_argument("--store", default="corpus/features.sqlite", help="feature store (frozen mode)")
    parser.add_argument("--encoder", default="", help="the encoder (default: the config's, MiniLM-L6)")
    parser.add_argument("--archs", default="bi_finetuned,frozen", help=f"which of {', '.join(ARCHS)}")
    parser.add_argument("--output", default=str(RESULTS / "kp_speed.json"))
    args = parser.parse_args()
    rows = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, spec in ARCHS.items():
            if name not in args.archs.split(","):
                continue
            s = spec["steps"]
            if name.startswith("frozen"):  # fill the feature store first: the timed runs then both read it
                train(args, name, s, Path(tmp), Path(args.store))
            short = train(args, name, s, Path(tmp), Path(args.store))
            long = train(args, name, 2 * s, Path(tmp), Path(args.store))
            per_update = (long - short) / s
            rows[name] = {
                **spec, "wall_s": {str(s): round(short, 1), str(2 * s): round(long, 1)},
                "s_per_update": round(per_update, 4), "reads_per_s": round(spec["batch"] / per_update, 1),
            }
            print(name, rows[name], flush=True)
    result = {**header(), "encoder": args.encoder or "the config's", "rows": rows}
    if {"frozen", "bi_finetuned"} <= set(rows):
        result["speedup"] = round(rows["frozen"]["reads_per_s"] / rows["bi_finetuned"]["reads_per_s"], 1)
        print(f"frozen / fine-tuned reads per second: {result['speedup']}x")
    srsly.write_json(args.output, result)
    print(f"-> {args.output}")


if __name__ == "__main__":
    main()
