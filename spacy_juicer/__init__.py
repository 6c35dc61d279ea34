"""spacy-juicer: distil a large language model into a small, fast zero-shot NER for spaCy.

Kept free of heavy imports: spaCy imports this package's entry points on every
``spacy.blank()``, so torch and transformers are only imported when a model is built.
"""
__version__ = "0.1.0"
