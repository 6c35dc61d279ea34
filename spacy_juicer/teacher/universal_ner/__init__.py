"""UniversalNER's open prompt with list-of-tuples answers."""
