"""Fixed-label NER with standard or chain-of-thought prompting and dict answers."""
