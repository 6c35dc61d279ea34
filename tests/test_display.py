"""displaCy colours for run-time labels."""
from spacy import displacy
import spacy
from spacy.tokens import Span

from spacy_juicer.display import PALETTE, displacy_options, label_color


def test_every_label_gets_a_stable_colour_and_displacy_uses_it():
    options = displacy_options(["Gene", "Drug", "Gene"], colors={"Drug": "#123456"})
    assert options["ents"] == ["Gene", "Drug"]
    assert options["colors"]["Gene"] == label_color("Gene") in PALETTE
    assert options["colors"]["Drug"] == "#123456"
    assert displacy_options(["Drug", "Gene"])["colors"]["Gene"] == options["colors"]["Gene"]
    doc = spacy.blank("en")("Tamoxifen lowers BRCA1 expression.")
    doc.ents = [Span(doc, 2, 3, label="Gene")]
    html = displacy.render(doc, style="ent", options=options)
    assert label_color("Gene") in html and "BRCA1" in html
