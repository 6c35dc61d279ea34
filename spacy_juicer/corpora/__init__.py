"""Corpora: converters to DocBin, readers, zero-shot splits and silver/gold blending.

- ``conll``, ``pubtator``, ``jsonl``, ``brat`` (standoff folders: CRAFT, GRO): gold corpora to
  Docs (``convert.convert`` writes a DocBin, ``spacy-juicer convert``);
  ``stats.ConversionStats`` counts what was kept, dropped, realigned.
- ``labelmap``: rename, merge or drop types.
- ``descriptions``: the benchmarks' type descriptions (labels-file contract).
- ``splits``: zero-shot train/dev/test type splits and their builder (``spacy-juicer split``).
"""
