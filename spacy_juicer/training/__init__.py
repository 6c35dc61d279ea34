"""Training regimens that ``spacy train`` drives: knowledge pre-training (KP) and labelled dev
readers, blending schedules of silver and gold, and the pool of negative types."""
