"""Encoder batches of single sequences, ``[CLS] text [SEP]``, for the bi-encoder: each sentence
window once (whatever the number of types) and each type description once.

Plain numpy, like ``pairs.py``, whose doc tokenization, windows and alignment it reuses.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterator, List, Optional, Sequence

import numpy

from .pairs import SENTINEL_A, DocPieces, EncoderBatch, window_tokens


@dataclass
class SingleTemplate:
    """Where a tokenizer puts its special tokens around one sequence, learnt from itself."""

    before: List[int]
    after: List[int]
    type_id: Optional[int]
    pad_id: int

    @classmethod
    def from_tokenizer(cls, tokenizer: Any) -> "SingleTemplate":
        ids = tokenizer.build_inputs_with_special_tokens([SENTINEL_A])
        a = ids.index(SENTINEL_A)
        type_id = 0 if "token_type_ids" in tokenizer.model_input_names else None
        return cls(ids[:a], ids[a + 1 :], type_id, int(tokenizer.pad_token_id or 0))

    @property
    def n_special(self) -> int:
        return len(self.before) + len(self.after)


def pad_sequences(seqs: Sequence[numpy.ndarray], template: SingleTemplate):
    """Padded ids, attention mask, token types (or None) and the padded length of ``seqs``."""
    seq_len = max(len(s) for s in seqs)
    ids = numpy.full((len(seqs), seq_len), template.pad_id, dtype="int64")
    attention = numpy.zeros((len(seqs), seq_len), dtype="int64")
    for i, seq in enumerate(seqs):
        ids[i, : len(seq)] = seq
        attention[i, : len(seq)] = 1
    types = None if template.type_id is None else numpy.zeros_like(ids)
    return ids, attention, types, seq_len


def plan_sentence_batches(
    docs_pieces: Sequence[DocPieces],
    template: SingleTemplate,
    batch_size: int,
) -> Iterator[EncoderBatch]:
    """Length-sorted batches of doc windows; ``dest`` is each scored token's global index
    (docs laid out one after another), ``rows`` the flat rows of its pieces."""
    token_offsets = numpy.concatenate([[0], numpy.cumsum([p.n_tokens for p in docs_pieces])]).astype("int64")
    windows = []
    for d, pieces in enumerate(docs_pieces):
        for w, (start, end) in enumerate(pieces.windows):
            if (pieces.token_window == w).any():
                windows.append((end - start + template.n_special, d, w))
    windows.sort()
    offset = len(template.before)
    for b in range(0, len(windows), batch_size):
        chunk = windows[b : b + batch_size]
        seqs, rows, lengths, dest = [], [], [], []
        for _, d, w in chunk:
            pieces = docs_pieces[d]
            start, end = pieces.windows[w]
            seqs.append(numpy.concatenate([template.before, pieces.ids[start:end], template.after]).astype("int64"))
        input_ids, attention, types, seq_len = pad_sequences(seqs, template)
        for i, (_, d, w) in enumerate(chunk):
            tokens, tok_lengths, piece_rows = window_tokens(docs_pieces[d], w)
            rows.append(i * seq_len + offset + piece_rows)
            lengths.append(tok_lengths)
            dest.append(token_offsets[d] + tokens)
        yield EncoderBatch.gather(input_ids, attention, types, rows, lengths, dest)


def plan_description_batches(
    descriptions: Sequence[List[int]], template: SingleTemplate, batch_size: int
) -> Iterator[EncoderBatch]:
    """Batches of ``[CLS] description [SEP]``, pooled over all their attended positions (as
    sentence-transformers pools); ``dest`` is the description's index."""
    order = sorted(range(len(descriptions)), key=lambda j: len(descriptions[j]))
    for b in range(0, len(order), batch_size):
        chunk = order[b : b + batch_size]
        seqs = [numpy.concatenate([template.before, descriptions[j], template.after]).astype("int64") for j in chunk]
        input_ids, attention, types, seq_len = pad_sequences(seqs, template)
        rows = [i * seq_len + numpy.arange(len(seq)) for i, seq in enumerate(seqs)]
        lengths = [numpy.asarray([len(seq) for seq in seqs])]
        yield EncoderBatch.gather(input_ids, attention, types, rows, lengths, [numpy.asarray(chunk)])
