"""The student: the trainable ``zero_shot_ner`` component, its encoders, its scorer and its
pool of negative types; all a packaged pipeline needs at run time (nothing here imports
``spacy_juicer.training``)."""
