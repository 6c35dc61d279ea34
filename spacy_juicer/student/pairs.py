"""Turn docs and type descriptions into encoder batches of ``[CLS] sentence [SEP] description``.

Each doc is tokenized once, with the fast tokenizer's character offsets mapping word pieces
back to spaCy tokens; each description is tokenized once and cut to a fixed number of word
pieces. A pair is then just a concatenation of id arrays, so scoring K types costs K encoder
rows and no extra tokenization. Docs longer than the window are cut into overlapping windows;
each token takes its scores from the window in which it sits farthest from an edge, so nothing
is truncated and no token is scored at a window's ragged border.

This module is plain numpy: it is the part of the model that can be tested without torch.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, Iterator, List, Optional, Sequence, Tuple

import numpy
from spacy.tokens import Doc

SENTINEL_A = -7
SENTINEL_B = -9


@dataclass
class PairTemplate:
    """Where a tokenizer puts its special tokens around a pair (BERT: ``[CLS] a [SEP] b [SEP]``,
    MPNet: ``<s> a </s></s> b </s>``), learnt once from the tokenizer itself."""

    before: List[int]
    between: List[int]
    after: List[int]
    type_a: Optional[int]
    type_b: Optional[int]
    mask_id: int
    pad_id: int

    @classmethod
    def from_tokenizer(cls, tokenizer: Any) -> "PairTemplate":
        ids = tokenizer.build_inputs_with_special_tokens([SENTINEL_A], [SENTINEL_B])
        a, b = ids.index(SENTINEL_A), ids.index(SENTINEL_B)
        type_a = type_b = None
        if "token_type_ids" in tokenizer.model_input_names:
            types = tokenizer.create_token_type_ids_from_sequences([SENTINEL_A], [SENTINEL_B])
            type_a, type_b = int(types[a]), int(types[b])
        mask_id = tokenizer.mask_token_id
        if mask_id is None:
            mask_id = tokenizer.unk_token_id
        return cls(
            before=ids[:a],
            between=ids[a + 1 : b],
            after=ids[b + 1 :],
            type_a=type_a,
            type_b=type_b,
            mask_id=int(mask_id),
            pad_id=int(tokenizer.pad_token_id or 0),
        )

    @property
    def n_special(self) -> int:
        return len(self.before) + len(self.between) + len(self.after)


@dataclass
class DocPieces:
    """One doc's word pieces, their alignment to its tokens, and its windows."""

    ids: numpy.ndarray  # (n_pieces,) word-piece ids, no special tokens
    first: numpy.ndarray  # (n_tokens,) first piece of each token, -1 if it has none
    align_lengths: numpy.ndarray  # (n_tokens,) number of pieces per token
    align_data: numpy.ndarray  # (sum(align_lengths),) piece index per (token, piece)
    windows: List[Tuple[int, int]] = field(default_factory=list)  # piece ranges
    token_window: numpy.ndarray = field(default_factory=lambda: numpy.zeros(0, dtype="i"))

    @property
    def n_tokens(self) -> int:
        return int(self.first.shape[0])


@dataclass
class EncoderBatch:
    """A padded batch of pairs, plus what to gather from its output: for each scored token, the
    flat rows (into ``batch * seq_len``) of its pieces, and where its two logits go."""

    input_ids: numpy.ndarray
    attention_mask: numpy.ndarray
    token_type_ids: Optional[numpy.ndarray]
    rows: numpy.ndarray  # flat row index of each (token, piece)
    lengths: numpy.ndarray  # pieces per scored token
    dest: numpy.ndarray  # flat output index (doc block + token * K_doc + column) per scored token
    n_pairs: int

    @classmethod
    def gather(
        cls,
        input_ids: numpy.ndarray,
        attention_mask: numpy.ndarray,
        token_type_ids: Optional[numpy.ndarray],
        rows: Sequence[numpy.ndarray],
        lengths: Sequence[numpy.ndarray],
        dest: Sequence[numpy.ndarray],
    ) -> "EncoderBatch":
        """A batch from its padded arrays and its gather plan, one part per sequence."""
        return cls(
            input_ids=input_ids,
            attention_mask=attention_mask,
            token_type_ids=token_type_ids,
            rows=numpy.concatenate(rows).astype("int64"),
            lengths=numpy.concatenate(lengths).astype("int32"),
            dest=numpy.concatenate(dest).astype("int64"),
            n_pairs=int(input_ids.shape[0]),
        )


def tokenize_docs(tokenizer: Any, docs: Sequence[Doc]) -> List[DocPieces]:
    """Tokenize each doc's text once and align pieces to tokens by character offsets."""
    from spacy_transformers.align import get_alignment_via_offset_mapping

    texts = [doc.text for doc in docs]
    out: List[DocPieces] = []
    if not texts:
        return out
    encoded = tokenizer(
        texts,
        add_special_tokens=False,
        return_offsets_mapping=True,
        return_attention_mask=False,
        return_token_type_ids=False,
        verbose=False,
    )
    for doc, ids, offsets in zip(docs, encoded["input_ids"], encoded["offset_mapping"]):
        n_tokens = len(doc)
        ids_arr = numpy.asarray(ids, dtype="int64")
        if n_tokens == 0 or ids_arr.size == 0:
            out.append(
                DocPieces(
                    ids=ids_arr,
                    first=numpy.full(n_tokens, -1, dtype="i"),
                    align_lengths=numpy.zeros(n_tokens, dtype="i"),
                    align_data=numpy.zeros(0, dtype="i"),
                )
            )
            continue
        align = get_alignment_via_offset_mapping([doc[:]], numpy.asarray([offsets], dtype="i"))
        lengths = numpy.asarray(align.lengths, dtype="i")
        data = numpy.asarray(align.dataXd, dtype="i").reshape(-1)
        starts = numpy.concatenate([[0], numpy.cumsum(lengths)[:-1]]).astype("i")
        first = numpy.where(lengths > 0, data[numpy.minimum(starts, max(len(data) - 1, 0))], -1)
        out.append(DocPieces(ids_arr, first.astype("i"), lengths, data))
    return out


def assign_windows(pieces: DocPieces, max_length: int, stride: int) -> None:
    """Cut a doc's pieces into windows of ``max_length`` that start every ``stride`` pieces, and
    give each token the window in which it has the widest margin to both edges."""
    n = int(pieces.ids.shape[0])
    if n <= max_length:
        pieces.windows = [(0, n)]
    else:
        starts = list(range(0, n - max_length, stride)) + [n - max_length]
        pieces.windows = [(s, s + max_length) for s in sorted(set(starts))]
    first = pieces.first
    has = pieces.align_lengths > 0
    if len(pieces.windows) == 1:
        pieces.token_window = numpy.where(has, 0, -1).astype("i")
        return
    ends = numpy.concatenate([[0], numpy.cumsum(pieces.align_lengths)])[1:] - 1
    last = numpy.where(has, pieces.align_data[numpy.maximum(ends, 0)], -1)
    w_start = numpy.asarray([w[0] for w in pieces.windows])
    w_end = numpy.asarray([w[1] for w in pieces.windows])
    margin = numpy.minimum(first[:, None] - w_start[None, :], w_end[None, :] - 1 - last[:, None])
    pieces.token_window = numpy.where(has, margin.argmax(axis=1), -1).astype("i")


def truncate_description(tokenizer: Any, description: str, max_pieces: int) -> List[int]:
    ids = tokenizer(description, add_special_tokens=False, verbose=False)["input_ids"]
    return list(ids[:max_pieces])


def plan_batches(
    docs_pieces: Sequence[DocPieces],
    descriptions: Sequence[List[int]],
    template: PairTemplate,
    batch_size: int,
    masks: Optional[Sequence[Optional[numpy.ndarray]]] = None,
    doc_labels: Optional[Sequence[Sequence[int]]] = None,
) -> Iterator[EncoderBatch]:
    """Yield length-sorted encoder batches covering every (doc window, description) pair.

    ``masks[d]`` is a boolean array over doc ``d``'s pieces to replace by the mask token
    (entity masking, training only). ``doc_labels[d]`` lists the descriptions doc ``d`` is
    paired with (default: all). Outputs are laid out doc after doc, each doc as
    ``(n_tokens, K_doc)``: ``dest`` indexes that flat layout (see ``output_offsets``).
    """
    label_lists = [
        list(range(len(descriptions))) if doc_labels is None else list(doc_labels[d])
        for d in range(len(docs_pieces))
    ]
    offsets = output_offsets([p.n_tokens for p in docs_pieces], [len(ls) for ls in label_lists])
    pairs: List[Tuple[int, int, int, int, int]] = []  # (length, doc, window, label, column)
    for d, pieces in enumerate(docs_pieces):
        if not (pieces.token_window >= 0).any():
            continue
        for w, (start, end) in enumerate(pieces.windows):
            for col, j in enumerate(label_lists[d]):
                pairs.append((end - start + len(descriptions[j]) + template.n_special, d, w, j, col))
    pairs.sort()
    token_ids_cache: Dict[Tuple[int, int], Tuple[numpy.ndarray, ...]] = {}
    for b in range(0, len(pairs), batch_size):
        chunk = pairs[b : b + batch_size]
        seq_len = max(p[0] for p in chunk)
        input_ids = numpy.full((len(chunk), seq_len), template.pad_id, dtype="int64")
        attention = numpy.zeros((len(chunk), seq_len), dtype="int64")
        types = None if template.type_a is None else numpy.zeros((len(chunk), seq_len), dtype="int64")
        rows, lengths, dest = [], [], []
        offset_a = len(template.before)
        for i, (length, d, w, j, col) in enumerate(chunk):
            pieces = docs_pieces[d]
            start, end = pieces.windows[w]
            window_ids = pieces.ids[start:end]
            if masks is not None and masks[d] is not None:
                window_ids = numpy.where(masks[d][start:end], template.mask_id, window_ids)
            seq = numpy.concatenate(
                [template.before, window_ids, template.between, descriptions[j], template.after]
            )
            input_ids[i, :length] = seq
            attention[i, :length] = 1
            if types is not None:
                types[i, : offset_a + end - start + len(template.between)] = template.type_a
                types[i, offset_a + end - start + len(template.between) : length] = template.type_b
            key = (d, w)
            if key not in token_ids_cache:
                token_ids_cache[key] = window_tokens(pieces, w)
            tokens, tok_lengths, piece_rows = token_ids_cache[key]
            rows.append(i * seq_len + offset_a + piece_rows)
            lengths.append(tok_lengths)
            dest.append(offsets[d] + tokens * len(label_lists[d]) + col)
        yield EncoderBatch.gather(input_ids, attention, types, rows, lengths, dest)


def window_tokens(pieces: DocPieces, w: int) -> Tuple[numpy.ndarray, numpy.ndarray, numpy.ndarray]:
    """The tokens window ``w`` scores, their piece counts, and their pieces' rows inside the
    window (after any leading special tokens are added by the caller)."""
    start, end = pieces.windows[w]
    tokens = numpy.nonzero(pieces.token_window == w)[0]
    piece_rows = _pieces_of(pieces, tokens) - start
    # A token longer than the overlap may stick out of its window: clip, not crash.
    numpy.clip(piece_rows, 0, end - start - 1, out=piece_rows)
    return tokens, pieces.align_lengths[tokens], piece_rows


def output_offsets(n_tokens: Sequence[int], n_labels: Sequence[int]) -> numpy.ndarray:
    """Start of each doc's ``(n_tokens, K_doc)`` block in the flat output, plus the total."""
    sizes = numpy.asarray(n_tokens, dtype="int64") * numpy.asarray(n_labels, dtype="int64")
    return numpy.concatenate([[0], numpy.cumsum(sizes)]).astype("int64")


def _pieces_of(pieces: DocPieces, tokens: numpy.ndarray) -> numpy.ndarray:
    """The piece indices of ``tokens``, concatenated in token order (vectorised ragged gather)."""
    starts = numpy.concatenate([[0], numpy.cumsum(pieces.align_lengths)[:-1]])
    lens = pieces.align_lengths[tokens].astype("int64")
    if lens.sum() == 0:
        return numpy.zeros(0, dtype="int64")
    seg_start = numpy.cumsum(lens) - lens
    idx = numpy.repeat(starts[tokens] - seg_start, lens) + numpy.arange(lens.sum())
    return pieces.align_data[idx].astype("int64")


def piece_mask(pieces: DocPieces, token_mask: numpy.ndarray) -> numpy.ndarray:
    """Boolean mask over a doc's pieces from a boolean mask over its tokens."""
    out = numpy.zeros(pieces.ids.shape[0], dtype=bool)
    tokens = numpy.nonzero(token_mask)[0]
    if tokens.size:
        out[_pieces_of(pieces, tokens)] = True
    return out
