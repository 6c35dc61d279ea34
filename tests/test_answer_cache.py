"""The answer cache: torn and glued records, shard workers sharing a file, the SQLite store,
and today's JSONL caches read with the same keys."""
from __future__ import annotations

import json
import shutil
import threading

import pytest

from spacy_juicer.teacher.cache import AnswerCache, JsonlAnswerCache, SqliteAnswerCache, ask_cached


def rec(key: str, answer: str) -> str:
    return json.dumps({"key": key, "answer": answer})


def lines_of(path):
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_a_record_that_lost_its_newline_is_not_glued_to_the_next(tmp_path):
    path = tmp_path / "c.jsonl"
    path.write_text(rec("a", "A") + "\n" + rec("b", "B"))  # killed after the record, before its newline
    cache = AnswerCache(path)
    assert cache.get("b") == "B" and cache.torn_lines == 0
    cache.put("c", "C")
    assert [r["key"] for r in lines_of(path)] == ["a", "b", "c"]


def test_a_writer_opened_before_another_was_killed_mid_record(tmp_path):
    path = tmp_path / "c.jsonl"
    path.write_text(rec("a", "A") + "\n")
    worker = AnswerCache(path)  # a shard worker, running
    with path.open("a") as other:  # another worker killed in the middle of a write
        other.write('{"key": "x", "ans')
    worker.put("b", "B")
    again = AnswerCache(path)
    assert (again.get("a"), again.get("b"), len(again), again.torn_lines) == ("A", "B", 2, 1)
    again.put("c", "C")  # the next append drops the torn line from the file
    assert [r["key"] for r in lines_of(path)] == ["a", "b", "c"]


def test_records_glued_by_an_older_writer_are_both_read(tmp_path):
    path = tmp_path / "c.jsonl"
    path.write_text(rec("a", "A") + rec("b", "B") + "\n" + rec("c", ["not", "text"]) + "\n" + rec("d", "") + "\n")
    cache = AnswerCache(path)
    assert (cache.get("a"), cache.get("b")) == ("A", "B")
    assert "c" not in cache and "d" not in cache  # a non-string or blank answer is no answer
    assert cache.torn_lines == 1


@pytest.mark.parametrize("suffix", [".jsonl", ".sqlite"])
def test_shard_workers_share_one_file(tmp_path, suffix):
    path = tmp_path / f"c{suffix}"
    workers = [AnswerCache(path) for _ in range(3)]

    def write(i, cache):
        for j in range(60):
            cache.put(f"{i}-{j}", f"answer {i} {j} " + "x" * 500)

    threads = [threading.Thread(target=write, args=(i, c)) for i, c in enumerate(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    cache = AnswerCache(path)
    assert len(cache) == 180 and cache.torn_lines == 0
    assert cache.get("2-59").startswith("answer 2 59 ")


class _Blank:
    name, usage = "blank", {}

    def __init__(self):
        self.asked = 0

    def __call__(self, prompts):
        self.asked += 1
        return [["  "] for _ in prompts]


@pytest.mark.parametrize("suffix", [".jsonl", ".sqlite"])
def test_blank_answers_are_asked_again(tmp_path, suffix):
    cache = AnswerCache(tmp_path / f"c{suffix}")
    model = _Blank()
    for _ in range(2):
        answers, calls = ask_cached(model, ["p1", "p2"], cache, {"name": "blank"})
        assert calls == 2 and answers == ["  ", "  "]
    assert len(cache) == 0 and model.asked == 2


def test_suffix_chooses_the_store(tmp_path):
    assert isinstance(AnswerCache(tmp_path / "a.jsonl"), JsonlAnswerCache)
    assert isinstance(AnswerCache(tmp_path / "a.db"), SqliteAnswerCache)
    db = AnswerCache(tmp_path / "a.sqlite")
    db.put("k", "v")
    db.close()
    assert (tmp_path / "a.sqlite").exists() and AnswerCache(tmp_path / "a.sqlite").get("k") == "v"


def test_todays_jsonl_cache_reads_with_the_same_keys_in_both_stores(tmp_path, data_dir):
    source = data_dir / "silver-pubmed" / "answers.jsonl"
    copy = tmp_path / "answers.jsonl"
    shutil.copyfile(source, copy)
    expected = {}
    for line in source.read_text(encoding="utf8").splitlines():
        record = json.loads(line)
        expected[record["key"]] = record["answer"]
    jsonl = AnswerCache(copy)
    assert jsonl.torn_lines == 0 and dict(jsonl.items()) == expected
    db = AnswerCache(tmp_path / "answers.sqlite")
    for key, answer in jsonl.items():
        db.put(key, answer)
    assert dict(db.items()) == expected and len(db) == len(expected)
    assert copy.read_bytes() == source.read_bytes()  # reading never rewrites a sound cache


class _Parts:
    name, usage = "parts", {}

    def __call__(self, prompts):
        return [[[{"type": "text", "text": "medicine\n"}, {"type": "text", "text": "Named Entities: x (Y)"}]] for _ in prompts]


def test_a_list_of_parts_is_cached_as_its_text_never_its_repr(tmp_path):
    cache = AnswerCache(tmp_path / "c.jsonl")
    answers, calls = ask_cached(_Parts(), ["p"], cache, {"name": "parts"})
    assert answers == ["medicine\nNamed Entities: x (Y)"] and calls == 1
    assert AnswerCache(tmp_path / "c.jsonl").get(next(iter(cache.answers))) == answers[0]
