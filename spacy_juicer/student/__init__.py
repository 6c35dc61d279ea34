"""The student: the trainable ``zero_shot_ner`` component, its cross-encoder and its scorer."""
