"""Teacher models (spacy-llm ``llm_models``). Each module registers its model on import; heavy
back ends (llama_cpp, openai) are imported only when a model is built or called."""
