"""``spacy_juicer.Describe.v1``: JUICER's entity-type descriptions (step 3)."""
