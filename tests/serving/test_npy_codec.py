"""NPY bodies read exactly as ``numpy.load(allow_pickle=False)`` reads them, whichever reader
(the plain-header fast path or numpy's own) takes them."""

from __future__ import annotations

import io

import numpy as np
import pytest

from jupyter_mlops._core.errors import PayloadError
from jupyter_mlops._core.serving.inference.codec import read_npy


def saved(arr: np.ndarray) -> bytes:
    out = io.BytesIO()
    np.save(out, arr)
    return out.getvalue()


@pytest.mark.parametrize("arr", [
    np.random.default_rng(0).normal(size=(3, 20)), np.arange(5), np.array(3.5),
    np.asfortranarray(np.arange(12.0).reshape(3, 4)), np.array([[1, 2]], dtype=">i4"),
    np.array([True, False]), np.zeros((0, 3)), np.zeros((2, 3), dtype=np.float16),
    np.array([["basic", "pro"]]), np.array([(1.0, "a")], dtype=[("x", "f8"), ("plan", "U5")]),
], ids=lambda a: f"{a.dtype}{list(a.shape)}")
def test_npy_bodies_read_like_numpy_load(arr):
    body = saved(arr)
    got, expected = read_npy(body), np.load(io.BytesIO(body), allow_pickle=False)
    assert got.dtype == expected.dtype and got.shape == expected.shape
    assert np.array_equal(got, expected) and got.flags.writeable


@pytest.mark.parametrize("body, message", [
    (saved(np.array([1, "a"], dtype=object)), "without pickle"),
    (saved(np.arange(6.0))[:-8], "without pickle"),   # cut short
    (b"1,70,3", "not an .npy array"),
])
def test_what_numpy_load_would_refuse_is_a_payload_error(body, message):
    with pytest.raises(PayloadError, match=message):
        read_npy(body)
