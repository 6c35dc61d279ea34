"""Statistics of a silver corpus, as JUICER's Table 3.4: sizes, the long tail of types and
domains (the share of mentions held by the top 1% of types), top types and domains, and
description lengths. Written as JSON (for scripts), Markdown (for people) and two PNG plots.

Types are counted per mention (``doc.spans["silver"]``, else ``doc.ents``); domains per
sentence (the teacher's ``domain``, normalised as in ``describe``).
"""
from __future__ import annotations

import math
import statistics
from collections import Counter
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Union

import srsly
from spacy.tokens import Doc

from ..corpora.labels import read_labels_file
from ..records import RECORD_KEY, mention_spans
from ..reporting.charts import pyplot
from .critic import read_docs
from .describe import normalize_domain

PathLike = Union[str, Path]
# JUICER's frequency bands: top 1%, 2%-10%, 11%-100% of the ranked types.
BANDS = ((0.0, 0.01, "top 1%"), (0.01, 0.10, "2%-10%"), (0.10, 1.0, "11%-100%"))


def summarize(values: Sequence[float]) -> Dict[str, float]:
    if not values:
        return {"mean": 0.0, "median": 0.0, "min": 0, "max": 0}
    return {
        "mean": round(statistics.fmean(values), 3),
        "median": float(statistics.median(values)),
        "min": min(values),
        "max": max(values),
    }


def band_shares(counts: Counter) -> List[Dict[str, Any]]:
    """Share of all occurrences held by each rank band of the ranked items (at least one item
    in the top band, as a 1% of a few types is less than one)."""
    ranked = [c for _, c in counts.most_common()]
    names = [n for n, _ in counts.most_common()]
    total = sum(ranked) or 1
    n = len(ranked)
    out = []
    previous = 0
    for _, upper, label in BANDS:
        end = max(previous, min(n, max(1, math.ceil(upper * n))))
        items = names[previous:end]
        out.append({
            "band": label,
            "items": len(items),
            "occurrences": sum(ranked[previous:end]),
            "share": round(sum(ranked[previous:end]) / total, 4),
            "examples": items[:8],
        })
        previous = end
    return out


def corpus_stats(docs: Sequence[Doc], descriptions: Optional[Dict[str, str]] = None, top: int = 20) -> Dict[str, Any]:
    types: Counter = Counter()
    domains: Counter = Counter()
    links = set()
    per_sentence: List[int] = []
    no_domain = 0
    ents = 0
    for doc in docs:
        spans = mention_spans(doc)
        per_sentence.append(len(spans))
        ents += len(doc.ents)
        types.update(s.label_ for s in spans)
        links.update((s.text.lower(), s.label_) for s in spans)
        domain = normalize_domain(doc.user_data.get(RECORD_KEY, {}).get("domain"))
        if domain:
            domains[domain] += 1
        else:
            no_domain += 1
    mentions = sum(types.values())
    stats: Dict[str, Any] = {
        "sentences": len(docs),
        "mentions": mentions,
        "non_overlapping_ents": ents,
        "types": len(types),
        "distinct_mention_type_links": len(links),
        "domains": len(domains),
        "sentences_without_domain": no_domain,
        "mentions_per_sentence": summarize(per_sentence),
        "type_bands": band_shares(types),
        "domain_bands": band_shares(domains),
        "top_types": [{"type": t, "mentions": c, "share": round(c / max(mentions, 1), 4)} for t, c in types.most_common(top)],
        "top_domains": [{"domain": d, "sentences": c, "share": round(c / max(len(docs), 1), 4)} for d, c in domains.most_common(top)],
        "type_frequencies": dict(types.most_common()),
        "domain_frequencies": dict(domains.most_common()),
    }
    if descriptions is not None:
        lengths = {t: len(d.split()) for t, d in descriptions.items()}
        stats["descriptions"] = {
            "described_types": len(lengths),
            "silver_types_without_description": sorted(set(types) - set(descriptions)),
            "words": summarize(list(lengths.values())),
        }
    return stats


def markdown(stats: Dict[str, Any], title: str = "Silver corpus") -> str:
    m = stats["mentions_per_sentence"]
    lines = [
        f"# {title}",
        "",
        "| property | value |",
        "|---|---|",
        f"| sentences | {stats['sentences']:,} |",
        f"| mentions | {stats['mentions']:,} |",
        f"| distinct types | {stats['types']:,} |",
        f"| distinct mention-type links | {stats['distinct_mention_type_links']:,} |",
        f"| distinct domains | {stats['domains']:,} |",
        f"| mentions per sentence (mean / median / max) | {m['mean']} / {m['median']} / {m['max']} |",
    ]
    if "descriptions" in stats:
        w = stats["descriptions"]["words"]
        lines.append(f"| description words (mean / median / min / max) | {w['mean']} / {w['median']} / {w['min']} / {w['max']} |")
    for key, what in (("type_bands", "Entity types"), ("domain_bands", "Domains")):
        lines += ["", f"## {what} by frequency band", "", "| band | items | share | examples |", "|---|---|---|---|"]
        for band in stats[key]:
            lines.append(f"| {band['band']} | {band['items']} | {band['share']:.1%} | {', '.join(band['examples'])} |")
    lines += ["", "## Top types", "", "| type | mentions | share |", "|---|---|---|"]
    lines += [f"| {t['type']} | {t['mentions']} | {t['share']:.1%} |" for t in stats["top_types"]]
    lines += ["", "## Top domains", "", "| domain | sentences | share |", "|---|---|---|"]
    lines += [f"| {d['domain']} | {d['sentences']} | {d['share']:.1%} |" for d in stats["top_domains"]]
    return "\n".join(lines) + "\n"


def plot_long_tail(stats: Dict[str, Any], path: Path) -> None:
    """Rank/frequency of the types on log-log axes, with the top-1% share."""
    plt = pyplot()
    freqs = list(stats["type_frequencies"].values())
    ranks = list(range(1, len(freqs) + 1))
    top = stats["type_bands"][0]
    fig, ax = plt.subplots(figsize=(6.4, 4.4), dpi=120)
    ax.loglog(ranks, freqs, marker="o", markersize=3, linewidth=1.2, color="#1f77b4")
    if top["items"]:
        ax.axvspan(0.8, top["items"] + 0.2, color="#ff7f0e", alpha=0.15, label=f"top 1% of types ({top['items']}): {top['share']:.0%} of mentions")
        ax.legend(loc="upper right", fontsize=9)
    from matplotlib.ticker import FuncFormatter, LogLocator

    for axis in (ax.xaxis, ax.yaxis):  # ticks at 1, 2, 5, 10, 20, ...: readable on short ranges too
        axis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
    plain = FuncFormatter(lambda v, _: f"{v:,.0f}" if v >= 1 else "")
    ax.xaxis.set_major_formatter(plain)
    ax.yaxis.set_major_formatter(plain)
    ax.xaxis.set_minor_formatter(FuncFormatter(lambda v, _: ""))
    ax.yaxis.set_minor_formatter(FuncFormatter(lambda v, _: ""))
    ax.set_xlabel("type rank (log)")
    ax.set_ylabel("mentions (log)")
    ax.set_title(f"Entity-type frequencies ({stats['types']:,} types, {stats['mentions']:,} mentions)", fontsize=10)
    ax.grid(True, which="both", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def plot_top_domains(stats: Dict[str, Any], path: Path, top: int = 20) -> None:
    plt = pyplot()
    rows = stats["top_domains"][:top][::-1]
    fig, ax = plt.subplots(figsize=(6.4, max(2.4, 0.32 * len(rows) + 1.2)), dpi=120)
    ax.barh([r["domain"] for r in rows], [r["sentences"] for r in rows], color="#2ca02c")
    for i, r in enumerate(rows):
        ax.text(r["sentences"], i, f" {r['sentences']}", va="center", fontsize=8)
    from matplotlib.ticker import MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("sentences")
    ax.set_title(f"Top domains ({stats['domains']:,} domains, {stats['sentences']:,} sentences)", fontsize=10)
    ax.margins(x=0.12)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def write_stats(silver_path: PathLike, out_dir: PathLike, descriptions_path: Optional[PathLike] = None, top: int = 20) -> Dict[str, Any]:
    """stats.json, stats.md, type_frequencies.png and top_domains.png in ``out_dir``."""
    docs = read_docs(silver_path)
    descriptions = None
    if descriptions_path is not None:
        descriptions = read_labels_file(descriptions_path)
    stats = corpus_stats(docs, descriptions, top=top)
    stats["input"] = str(silver_path)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    srsly.write_json(out / "stats.json", stats)
    (out / "stats.md").write_text(markdown(stats, title=f"Silver corpus: {Path(silver_path).name}"), encoding="utf8")
    plot_long_tail(stats, out / "type_frequencies.png")
    plot_top_domains(stats, out / "top_domains.png", top=top)
    stats["files"] = [str(out / n) for n in ("stats.json", "stats.md", "type_frequencies.png", "top_domains.png")]
    return stats
