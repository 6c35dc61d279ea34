"""JUICER's open NER task."""
