"""Corpora: converters to DocBin, readers, zero-shot splits and silver/gold blending."""
