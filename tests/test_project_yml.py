"""project.yml declares what each command reads (``deps``) and writes (``outputs``), so that
weasel can be trusted: ``spacy project run all`` a second time reruns nothing, and a changed
input reruns the step that reads it (weasel decides both from these lists alone).

The caches under ``corpus/cache/`` are left out on purpose: several steps read and write them
(the teacher's answers, the frozen encoder's features), they never change a result, and a
declared cache would make every step rerun after the next one wrote to it.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Dict, List, Set

import pytest
import srsly

ROOT = Path(__file__).resolve().parent.parent
OUT = "${vars.out}/"
CACHES = OUT + "corpus/cache/"
# a path the scripts name: under the output folder, or a config file (a variable or a literal)
PATH = re.compile(r"\$\{vars\.out\}/[^\s'\"=]+|\$\{vars\.\w+\}|[\w./-]+\.cfg\b")


@pytest.fixture(scope="module")
def project() -> dict:
    return srsly.read_yaml(ROOT / "project.yml")


@pytest.fixture(scope="module")
def commands(project) -> Dict[str, dict]:
    return {cmd["name"]: cmd for cmd in project["commands"]}


def script_paths(cmd: dict, variables: dict) -> Set[str]:
    """The files and folders a command's script names, as written in project.yml."""
    found = set()
    for line in cmd.get("script", []):
        for token in PATH.findall(line):
            if token.startswith(CACHES):
                continue
            var = re.fullmatch(r"\$\{vars\.(\w+)\}", token)
            if var and not str(variables.get(var.group(1), "")).endswith((".cfg", ".json")):
                continue  # a number or a setting, not a file
            found.add(token)
    return found


def covers(declared: str, path: str) -> bool:
    """``declared`` is ``path``, a file in the folder ``path``, or the folder ``path`` is in."""
    return declared == path or declared.startswith(path + "/") or path.startswith(declared + "/")


def declared(cmd: dict) -> List[str]:
    return list(cmd.get("deps", [])) + list(cmd.get("outputs", []))


def test_every_path_a_script_names_is_a_dep_or_an_output(project, commands):
    missing = {
        name: sorted(p for p in script_paths(cmd, project["vars"]) if not any(covers(d, p) for d in declared(cmd)))
        for name, cmd in commands.items()
        if "outputs" in cmd
    }
    assert {name: paths for name, paths in missing.items() if paths} == {}


def test_what_a_step_of_all_reads_from_an_earlier_step_is_its_dep(project, commands):
    made: Dict[str, str] = {}  # output -> the step of ``all`` that writes it
    undeclared = []
    for name in project["workflows"]["all"]:
        cmd = commands[name]
        outputs = cmd.get("outputs", [])
        for path in script_paths(cmd, project["vars"]):
            if any(covers(o, path) for o in outputs):
                continue  # written here
            for out, step in made.items():
                if covers(out, path) and not any(covers(d, out) for d in cmd.get("deps", [])):
                    undeclared.append(f"{name} reads {out} ({step}'s output)")
        for dep in cmd.get("deps", []):
            if dep.startswith(OUT) and not any(covers(o, dep) for o in made):
                undeclared.append(f"{name} depends on {dep}, which no earlier step of 'all' declares as an output")
        for out in outputs:
            assert out not in made, f"{out} is an output of both {made[out]} and {name}"
            made[out] = name
    assert undeclared == []


def test_no_step_reads_and_writes_one_path(commands):
    both = {name: set(cmd.get("deps", [])) & set(cmd.get("outputs", [])) for name, cmd in commands.items()}
    assert {name: paths for name, paths in both.items() if paths} == {}


def test_inputs_that_are_not_made_by_the_chain_exist(project, commands):
    """A dep outside the output folder (a config, the split file) is part of the project;
    weasel refuses to run a step whose dep is missing."""
    for name in project["workflows"]["all"]:
        for dep in commands[name].get("deps", []):
            if dep.startswith(OUT):
                continue
            var = re.fullmatch(r"\$\{vars\.(\w+)\}", dep)
            path = project["vars"][var.group(1)] if var else dep
            assert (ROOT / path).is_file(), f"{name}: {dep} ({path}) is not in the project"


def test_weasel_reads_every_declared_path_as_written(commands):
    """weasel's interpolation joins a list item that is only a variable with the next item
    (so such an item stays last): each command's lists have as many paths after weasel has
    read the file as they have in it."""
    from weasel.util import load_project_config

    loaded = {cmd["name"]: cmd for cmd in load_project_config(ROOT)["commands"]}
    for name, cmd in commands.items():
        for key in ("deps", "outputs"):
            assert len(loaded[name].get(key, [])) == len(cmd.get(key, [])), f"{name}.{key}"
            assert not any("${" in p for p in loaded[name].get(key, [])), f"{name}.{key}"
