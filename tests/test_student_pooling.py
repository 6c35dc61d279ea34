"""The one pooling layer: each scored token is the mean of its word-piece rows, and the gradient
goes back to exactly those rows, split evenly."""
from __future__ import annotations

import numpy
from thinc.api import NumpyOps

from spacy_juicer.student.pairs import EncoderBatch
from spacy_juicer.student.pooling import pieces2tokens


def test_pieces2tokens_means_the_rows_and_scatters_the_gradient():
    ops = NumpyOps()
    hidden = numpy.arange(2 * 3 * 2, dtype="f").reshape((2, 3, 2))  # 2 sequences of 3 pieces
    # token 0: pieces 0-1 of sequence 0; token 1: piece 2 of sequence 1 (flat row 5); token 2: none
    batch = EncoderBatch.gather(
        numpy.zeros((2, 3), dtype="int64"), numpy.ones((2, 3), dtype="int64"), None,
        rows=[numpy.asarray([0, 1]), numpy.asarray([5])],
        lengths=[numpy.asarray([2]), numpy.asarray([1, 0])],
        dest=[numpy.asarray([0]), numpy.asarray([1, 2])],
    )
    pooled, backprop = pieces2tokens(ops)((hidden, batch), is_train=True)
    flat = hidden.reshape((-1, 2))
    numpy.testing.assert_allclose(pooled, [flat[:2].mean(axis=0), flat[5], [0.0, 0.0]])
    d_hidden, same_batch = backprop(numpy.ones((3, 2), dtype="f"))
    assert same_batch is batch and d_hidden.shape == hidden.shape
    expected = numpy.zeros((6, 2), dtype="f")
    expected[[0, 1]] = 0.5
    expected[5] = 1.0
    numpy.testing.assert_allclose(d_hidden.reshape((-1, 2)), expected)
