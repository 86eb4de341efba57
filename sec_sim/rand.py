"""Deterministic randomness: every draw is a pure function of the seed and named parts.

``random.Random`` seeded with a ``str`` is hashed with SHA-512, so it does not depend on
``PYTHONHASHSEED``; :func:`unit` hashes its parts with BLAKE2b for per-row decisions.
"""

from __future__ import annotations

import hashlib
import math
import random
import struct

_EIGHT_U64 = struct.Struct(">8Q")
_TWO_TO_MINUS_64 = 2.0**-64


def rng_for(seed: int, *parts: object) -> random.Random:
    return random.Random(":".join(str(p) for p in (seed, *parts)))


def unit(seed: int, *parts: object) -> float:
    """A uniform number in [0, 1) determined by ``seed`` and ``parts``."""
    digest = hashlib.blake2b(
        ":".join(str(p) for p in (seed, *parts)).encode(), digest_size=8
    ).digest()
    return int.from_bytes(digest, "big") / 2.0**64


def units(seed: int, *parts: object) -> tuple[float, ...]:
    """Eight independent uniforms in [0, 1) from one hash of ``seed`` and ``parts``."""
    digest = hashlib.blake2b(":".join(map(str, (seed, *parts))).encode()).digest()
    return tuple(x * _TWO_TO_MINUS_64 for x in _EIGHT_U64.unpack(digest))


def poisson(rng: random.Random, lam: float) -> int:
    """Poisson draw (Knuth for small means, rounded normal above 30)."""
    if lam <= 0:
        return 0
    if lam > 30:
        return max(0, round(rng.gauss(lam, math.sqrt(lam))))
    limit, k, product = math.exp(-lam), 0, rng.random()
    while product > limit:
        k += 1
        product *= rng.random()
    return k


def lognormal_int(rng: random.Random, median: float, sigma: float, low: int, high: int) -> int:
    value = round(median * math.exp(rng.gauss(0.0, sigma)))
    return max(low, min(high, value))


def weighted_pick(rng: random.Random, pairs: tuple[tuple[str, float], ...]) -> str:
    if len(pairs) == 1:
        return pairs[0][0]
    x, acc = rng.random(), 0.0
    for name, share in pairs:
        acc += share
        if x < acc:
            return name
    return pairs[-1][0]
