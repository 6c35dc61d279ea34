"""Training regimens that ``spacy train`` drives: knowledge pre-training (KP) and labelled dev
readers, blending schedules of silver and gold, and the callbacks of the training configs.
Nothing here is needed at run time: a packaged pipeline loads without this package."""
