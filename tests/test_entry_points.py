"""Every function spacy-juicer registers is also an installed entry point.

``spacy train`` and ``spacy project run`` resolve a config in a process that never imports
spacy_juicer; only the entry points (``setup.cfg``, read by catalogue through
``importlib.metadata``) make its functions known there. A function that is registered but not
listed works in the tests (they import the package) and fails for users with "Could not find
function 'spacy_juicer....'". This happened once: this test guards it.
"""
from __future__ import annotations

import importlib
import pkgutil
from importlib.metadata import entry_points

from spacy.util import registry

import spacy_juicer

# entry-point group -> the registry it fills (spacy-llm adds llm_tasks and llm_models to spaCy's)
GROUPS = {
    "spacy_architectures": "architectures",
    "spacy_scorers": "scorers",
    "spacy_readers": "readers",
    "spacy_misc": "misc",
    "spacy_callbacks": "callbacks",
    "thinc_llm_tasks": "llm_tasks",
    "thinc_llm_models": "llm_models",
    "thinc_optimizers": "optimizers",
}


def ours(group: str):
    return [ep for ep in entry_points(group=group) if ep.value.startswith("spacy_juicer.")]


def test_every_registered_function_is_an_entry_point():
    import spacy_llm  # noqa: F401  (its registries)

    for module in pkgutil.walk_packages(spacy_juicer.__path__, "spacy_juicer."):
        importlib.import_module(module.name)
    for group, name in GROUPS.items():
        registered = {n for n in getattr(registry, name).get_all() if n.startswith("spacy_juicer.")}
        listed = {ep.name for ep in ours(group)}
        missing = sorted(registered - listed)
        assert not missing, f"{group} lacks {missing}: add them to setup.cfg and reinstall (pip install -e .)"


def test_every_entry_point_names_a_real_function():
    for group in GROUPS:
        for ep in ours(group):
            assert callable(ep.load()), f"{group}: {ep.name} -> {ep.value}"
