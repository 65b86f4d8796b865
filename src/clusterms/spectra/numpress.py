"""MS-Numpress decoders (linear, pic, slof) in numpy.

MS-Numpress (Teleman et al., Mol. Cell. Proteomics 2014, 13, 1537) is the lossy compression
that mzML files from OpenMS and msconvert may use. The reference C++ decoder (and its
Python binding ``pynumpress``) calls ``std::terminate`` on damaged input, killing the
interpreter; these decoders check every length and raise :class:`NumpressError` instead.
Results equal the reference decoder's to the last bit (tests compare them when
``pynumpress`` is installed).

Layout, as written by the reference encoder:

- linear: 8-byte big-endian float64 fixed point, the first two values as 4-byte
  little-endian unsigned ints, then the residuals of a linear prediction as half-byte
  encoded 32-bit ints (``x[i] = 2 x[i-1] - x[i-2] + r[i]``), value = int / fixed point;
- pic: half-byte encoded unsigned ints, value = int;
- slof: 8-byte big-endian float64 fixed point, then little-endian uint16,
  value = exp(int / fixed point) - 1.

Half-byte ints: a head nibble ``h`` tells how many leading nibbles are implicit (``h``
zeros when ``h <= 8``, ``h - 8`` 0xF nibbles otherwise); the ``8 - n`` remaining nibbles
follow, least significant first. A stream with an odd number of nibbles ends with a 0
padding nibble.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

__all__ = ["NumpressError", "decode_linear", "decode_pic", "decode_slof"]


class NumpressError(ValueError):
    """The bytes are not a valid MS-Numpress stream."""


def decode_linear(data: bytes, /) -> NDArray[np.float64]:
    """Decode MS-Numpress linear prediction (accession MS:1002312)."""
    size = len(data)
    if size == 8:
        return np.empty(0, dtype=np.float64)
    if size < 12 or 12 < size < 16:
        raise NumpressError(f"linear stream of {size} bytes is too short")
    fixed = _fixed_point(data)
    first = np.frombuffer(data, dtype="<u4", count=2 if size >= 16 else 1, offset=8)
    if size == 12:
        with np.errstate(over="ignore"):
            return first.astype(np.float64) / fixed
    residuals = _half_byte_ints(data[16:]).view(np.int32).astype(np.int64)
    ints = np.empty(residuals.size + 2, dtype=np.int64)
    ints[:2] = first
    # x[i] = 2 x[i-1] - x[i-2] + r[i]: the first differences are a running sum of r.
    steps = (ints[1] - ints[0]) + np.cumsum(residuals)
    ints[2:] = ints[1] + np.cumsum(steps)
    with np.errstate(over="ignore"):
        return ints.astype(np.float64) / fixed


def decode_pic(data: bytes, /) -> NDArray[np.float64]:
    """Decode MS-Numpress positive integer compression (accession MS:1002313)."""
    return _half_byte_ints(data).astype(np.float64)


def decode_slof(data: bytes, /) -> NDArray[np.float64]:
    """Decode MS-Numpress short logged float (accession MS:1002314)."""
    size = len(data)
    if size < 8 or (size - 8) % 2:
        raise NumpressError(f"slof stream of {size} bytes is not 8 + 2k bytes long")
    fixed = _fixed_point(data)
    ints = np.frombuffer(data, dtype="<u2", offset=8).astype(np.float64)
    with np.errstate(over="ignore"):  # a damaged fixed point gives inf, dropped later
        return np.exp(ints / fixed) - 1.0  # as the reference does, not expm1: same bits


def _fixed_point(data: bytes) -> float:
    fixed = float(np.frombuffer(data, dtype=">f8", count=1)[0])
    if not np.isfinite(fixed) or fixed <= 0.0:
        raise NumpressError(f"fixed point {fixed!r} is not a positive number")
    return fixed


def _half_byte_ints(data: bytes) -> NDArray[np.uint32]:
    raw = np.frombuffer(data, dtype=np.uint8)
    nibbles = np.empty(raw.size * 2, dtype=np.uint8)
    nibbles[0::2] = raw >> 4
    nibbles[1::2] = raw & 0x0F
    total = nibbles.size
    stored = _STORED[nibbles]  # nibbles written after each possible head
    step = (stored + 1).tobytes()  # bytes index fastest from Python
    heads: list[int] = []
    append = heads.append
    pos = 0
    stop = total - 1 if total and nibbles[-1] == 0 else total  # a final 0 nibble pads
    # Each head tells where the next one starts: a chain that only a loop can follow.
    while pos < stop:
        append(pos)
        pos += step[pos]
    if pos > total:
        raise NumpressError("half-byte stream ends inside a number")
    at = np.asarray(heads, dtype=np.int64)
    kept = stored[at]
    values = np.where(nibbles[at] > 8, _ONES[kept], np.uint32(0))
    for k in range(8):
        digit = nibbles[np.minimum(at + 1 + k, total - 1)].astype(np.uint32)
        values |= np.where(k < kept, digit << np.uint32(4 * k), np.uint32(0))
    return values


# For a head nibble h: how many nibbles follow it, and the implicit leading 0xF nibbles.
_STORED = np.array([8 - h if h <= 8 else 16 - h for h in range(16)], dtype=np.uint8)
_ONES = np.array([(0xFFFF_FFFF << (4 * k)) & 0xFFFF_FFFF for k in range(9)], dtype=np.uint32)
