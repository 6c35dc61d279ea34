"""The teacher: spacy-llm tasks, prompts and models that label raw text with open-world entity types."""
