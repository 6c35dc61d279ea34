"""The one loop that asks a teacher model for a list of items, shared by ``annotate`` (one
prompt per sentence) and ``describe`` (one per type and domain): batches of the model's
concurrency, every answer through the answer cache (so a rerun asks only what is missing), a
tqdm progress bar, and the counts that go into the run record.
"""
from __future__ import annotations

from collections import Counter
from typing import Any, Callable, Dict, Optional, Sequence, TypeVar

from spacy.util import minibatch
from tqdm import tqdm

from .cache import ask_cached

Item = TypeVar("Item")


def run_llm(
    model: Any,
    cache: Any,
    identity: Dict[str, Any],
    items: Sequence[Item],
    *,
    prompt: Callable[[Item], str],
    parse: Callable[[Item, Optional[str]], str],
    batch_size: Optional[int] = None,
    progress: bool = True,
    desc: str = "llm",
    unit: str = "prompt",
) -> Counter:
    """Ask ``model`` the ``prompt`` of every item, hand each answer (None: failed) to ``parse``,
    which returns the item's status; returns the counts (calls, cache_hits, status_*). The
    cache is closed at the end, also when the run is interrupted."""
    size = batch_size or max(1, int(getattr(model, "concurrency", 1)))
    counts: Counter = Counter()
    try:
        with tqdm(total=len(items), unit=unit, desc=desc, smoothing=0.1, disable=not progress) as bar:
            for batch in minibatch(items, size):
                answers, calls = ask_cached(model, [prompt(item) for item in batch], cache, identity)
                counts["calls"] += calls
                counts["cache_hits"] += len(batch) - calls
                for item, answer in zip(batch, answers):
                    counts["status_" + parse(item, answer)] += 1
                bar.update(len(batch))
                bar.set_postfix(hits=counts["cache_hits"], failed=counts["status_failed"], refresh=False)
    finally:
        cache.close()
    return counts


def run_counts(counts: Counter, model: Any) -> Dict[str, Any]:
    """The run record's counts: prompts sent (``calls``), cache hits, HTTP requests and retries
    by cause (models that make no requests count one per call), failures, statuses."""
    usage = dict(getattr(model, "usage", {}) or {})
    return {
        "calls": counts["calls"],  # prompts sent to the model (not in the cache)
        "cache_hits": counts["cache_hits"],
        "requests": int(usage.get("requests", counts["calls"])),  # HTTP requests, retries included
        "retries": dict(sorted((usage.get("retries") or {}).items())),  # by cause
        "failure_causes": dict(sorted((usage.get("failure_causes") or {}).items())),
        "statuses": {k[len("status_") :]: v for k, v in sorted(counts.items()) if k.startswith("status_")},
        "failures": counts["status_failed"],
    }
