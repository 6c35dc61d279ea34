"""The silver-stage fixture: 14 real PubMed sentences with hand-written teacher answers
(tests/data/silver/answers.jsonl), parsed by the teacher's own OpenNER task into raw docs."""
from __future__ import annotations

from pathlib import Path

import spacy
import srsly

DATA = Path(__file__).parent / "data" / "silver"


def raw_docs():
    from spacy_juicer.teacher.open_ner.task import make_open_ner_task

    task = make_open_ner_task()
    nlp = spacy.blank("en")
    docs = []
    for record in srsly.read_jsonl(DATA / "answers.jsonl"):
        doc = nlp.make_doc(record["text"])
        doc.user_data["juicer"] = {"id": record["id"]}
        task.annotate(doc, record["response"])
        docs.append(doc)
    return docs


def silver_docs(**options):
    """The fixture through the critic with its default rules (or these options)."""
    from spacy_juicer.silver.critic import CriticOptions, critic_docs

    return critic_docs(raw_docs(), CriticOptions(**options))[0]
