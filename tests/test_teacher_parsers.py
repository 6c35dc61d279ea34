"""The teacher's answer parsers on the kinds of answers small LLMs really give."""
from __future__ import annotations

import pytest

from spacy_juicer.teacher.label_ner.parser import parse_label_answer
from spacy_juicer.teacher.open_ner.parser import parse_open_answer
from spacy_juicer.teacher.universal_ner.parser import parse_tuples


@pytest.mark.parametrize(
    "answer,mentions,status,domain",
    [
        (" biomedicine\nNamed Entities: aspirin (Drug), myocardial infarction (Disease)\n\nContext: x",
         [("aspirin", "Drug"), ("myocardial infarction", "Disease")], "ok", "biomedicine"),
        (" medicine\nNamed Entities: tuberous sclerosis complex (TSC) (Disease), mTOR (Protein)",
         [("tuberous sclerosis complex", "Disease"), ("TSC", "Disease"), ("mTOR", "Protein")], "ok", "medicine"),
        (" cell biology\nNamed Entities: 1. insulin (Hormone), 2. \"AKT\" (Protein). These are all the entities.",
         [("insulin", "Hormone"), ("AKT", "Protein")], "ok", "cell biology"),
        (" genetics\nNamed Entities:\n- p53 (Protein)\n* apoptosis (Biological process)",
         [("p53", "Protein"), ("apoptosis", "Biological process")], "ok", "genetics"),
        (" oncology\nNamed Entities: BRCA1 (Gene), BRCA1 (Gene), brca1 (gene), breast canc",
         [("BRCA1", "Gene")], "ok", "oncology"),
        (" biology\nNamed Entities: PTEN (Gene)\nContext: invented\nDomain: x\nNamed Entities: fake (Thing)",
         [("PTEN", "Gene")], "ok", "biology"),
        (" biochemistry\nNamed Entities: None", [], "empty", "biochemistry"),
        ("I'm sorry, I cannot help with that.", [], "malformed", None),
        ("", [], "malformed", None),
        ("aspirin (Drug), heart attack (Disease)", [("aspirin", "Drug"), ("heart attack", "Disease")], "ok", None),
        ("Named Entities: aspirin (Drug)", [("aspirin", "Drug")], "ok", None),
        (" chemistry\nNamed Entities: sodium, potassium", [], "malformed", "chemistry"),
        # a blank line between the domain and the list
        (" medicine\n\nNamed Entities: aspirin (Drug)\n\nI hope this helps.", [("aspirin", "Drug")], "ok", "medicine"),
        # Markdown emphasis on mentions, types and field names
        (" biology\nNamed Entities: **mTOR** (Gene), *Tsc1* (Gene), 1. **p53** (**Protein**)",
         [("mTOR", "Gene"), ("Tsc1", "Gene"), ("p53", "Protein")], "ok", "biology"),
        ("**Domain:** medicine\n**Named Entities:** aspirin (Drug)", [("aspirin", "Drug")], "ok", "medicine"),
        # "Type:" inside the parenthesis is not part of the type
        (" biology\nNamed Entities: mTOR (Type: Gene), colitis (entity type = Disease)",
         [("mTOR", "Gene"), ("colitis", "Disease")], "ok", "biology"),
        # JSON answers, whole or as a prefix, keep their domain
        ('{"Domain": "medicine", "Named Entities": "aspirin (Drug), heart attack (Disease)"}',
         [("aspirin", "Drug"), ("heart attack", "Disease")], "ok", "medicine"),
        ('```json\n{"domain": "medicine"}\n```\nNamed Entities: aspirin (Drug)', [("aspirin", "Drug")], "ok", "medicine"),
        ('{"domain": "oncology", "entities": [["BRCA1", "Gene"], {"mention": "breast cancer", "type": "Disease"}, "p53 (Protein)"]}',
         [("BRCA1", "Gene"), ("breast cancer", "Disease"), ("p53", "Protein")], "ok", "oncology"),
        ('{"domain": "oncology", "entities": {"Gene": ["BRCA1"], "Disease": "breast cancer"}}',
         [("BRCA1", "Gene"), ("breast cancer", "Disease")], "ok", "oncology"),
        ('{"domain": "chemistry", "entities": []}', [], "empty", "chemistry"),
    ],
)
def test_open_answers(answer, mentions, status, domain):
    assert parse_open_answer(answer) == (mentions, status, domain)


@pytest.mark.parametrize(
    "answer,mentions,status",
    [
        (' [("aspirin", "drug"), ("heart attack", "disease")]', [("aspirin", "drug"), ("heart attack", "disease")], "ok"),
        ("Sure! [['BRCA1', 'gene'], ['breast cancer', 'disease'],] Hope it helps.", [("BRCA1", "gene"), ("breast cancer", "disease")], "ok"),
        (' [("p53", "protein"), ("apopt', [("p53", "protein")], "ok"),
        (" []", [], "empty"),
        ("no entities", [], "malformed"),
    ],
)
def test_universal_ner_answers(answer, mentions, status):
    assert parse_tuples(answer) == (mentions, status, None)


@pytest.mark.parametrize(
    "answer,mentions,status",
    [
        (' {"Chemical": ["aspirin"], "Disease": []}', [("aspirin", "Chemical")], "ok"),
        ("Step 1: ... Answer: {'chemical': ['aspirin', 'NaCl',], 'Disease': 'gout', 'PER': ['Bob']}",
         [("aspirin", "Chemical"), ("NaCl", "Chemical"), ("gout", "Disease")], "ok"),
        (' {"Chemical": ["aspirin"], "Disease": ["go', [("aspirin", "Chemical")], "ok"),
        (' {"Chemical": [], "Disease": []}', [], "empty"),
        ("I do not know.", [], "malformed"),
    ],
)
def test_label_answers(answer, mentions, status):
    assert parse_label_answer(answer, ["Chemical", "Disease"]) == (mentions, status, None)
