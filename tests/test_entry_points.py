"""Every function spacy-juicer registers is also an entry point in setup.cfg.

``spacy train`` and ``spacy project run`` resolve a config in a process that never imports
spacy_juicer; only the entry points make its functions known there. A function that is
registered but not listed works in the tests (they import the package) and fails for users
with "Could not find function 'spacy_juicer....'". This happened once: this test guards it.
"""
from __future__ import annotations

import configparser
import importlib
import pkgutil
from pathlib import Path

from spacy.util import registry as spacy_registry

import spacy_juicer

SETUP = Path(__file__).parent.parent / "setup.cfg"
# entry-point group -> the registry it fills
GROUPS = {
    "spacy_architectures": ("spacy", "architectures"),
    "spacy_scorers": ("spacy", "scorers"),
    "spacy_readers": ("spacy", "readers"),
    "spacy_misc": ("spacy", "misc"),
    "spacy_callbacks": ("spacy", "callbacks"),
    "thinc_llm_tasks": ("spacy_llm", "llm_tasks"),  # spacy-llm adds these to spaCy's registry
    "thinc_llm_models": ("spacy_llm", "llm_models"),
}


def declared() -> dict:
    parser = configparser.ConfigParser()
    parser.optionxform = str  # keep the names' case
    parser.read(SETUP)
    section = parser["options.entry_points"]
    groups = {}
    for group in GROUPS:
        lines = [line.strip() for line in section.get(group, "").splitlines() if line.strip()]
        groups[group] = {line.split("=", 1)[0].strip(): line.split("=", 1)[1].strip() for line in lines}
    return groups


def test_every_registered_function_is_an_entry_point():
    for module in pkgutil.walk_packages(spacy_juicer.__path__, "spacy_juicer."):
        importlib.import_module(module.name)
    groups = declared()
    for group, (package, name) in GROUPS.items():
        importlib.import_module(package)
        registry = getattr(spacy_registry, name)
        ours = {n for n in registry.get_all() if n.startswith("spacy_juicer.")}
        assert ours <= set(groups[group]), f"{group} lacks {sorted(ours - set(groups[group]))} (setup.cfg)"


def test_every_entry_point_names_a_real_function():
    for group, entries in declared().items():
        for name, target in entries.items():
            module, _, attr = target.partition(":")
            assert callable(getattr(importlib.import_module(module), attr)), f"{group}: {name} -> {target}"
