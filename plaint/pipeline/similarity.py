"""Near-duplicate complaints by MinHash and LSH, for Chinese and English alike.

A text becomes a set of character shingles (no word segmentation), the set a MinHash
signature, and the signature a few LSH band keys. Two texts whose shingle sets have Jaccard
similarity ``s`` share at least one band key with probability ``1 - (1 - s**rows)**bands``,
so a store that indexes ``(ticket_id, key)`` finds the candidates of a new text with one
indexed lookup per band, and scores only those. The candidates are the near-duplicates plus
the share of the rest of the history that the S-curve lets through, which depends on how
alike past complaints are (``bench/near_duplicates.py`` measures both).

Everything here is deterministic across processes, platforms and Python runs: hashing
uses ``hashlib`` (SHAKE-128, BLAKE2b), never the salted ``hash()``.
Signatures and keys are comparable only when made with the same ``num_perm``, ``seed``,
``ngram``, ``bands`` and ``rows``; changing any of them means re-indexing.
"""

from __future__ import annotations

import hashlib
import operator
import re
import struct
import unicodedata
from collections.abc import Iterable, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from functools import cached_property, lru_cache

from plaint.errors import ConfigError

__all__ = [
    "InMemoryIndex",
    "MinHasher",
    "NearDuplicateConfig",
    "band_hashes",
    "candidate_probability",
    "choose_bands",
    "estimate",
    "jaccard",
    "lsh_keys",
    "shingles",
]

_SHINGLE_CACHE_SIZE = 1 << 15  # shingles whose hash values are kept (~300 B each at 64)
_NOT_ALNUM = re.compile(r"[\W_]+")  # all but letters and digits (str.isalnum)
_INTEGRATION_STEPS = 200  # midpoint rule steps for choose_bands' error integrals

Signature = tuple[int, ...]


def _clean(text: str) -> str:
    """NFKC and casefold; keep letters and digits; drop space, punctuation, symbols."""
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).casefold())
    return _NOT_ALNUM.sub("", folded)


def _width(char: str) -> int:
    if char < "\u1100":  # no letter or digit below U+1100 is East Asian wide
        return 1
    return 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1


def shingles(text: str, *, n: int = 3) -> frozenset[str]:
    """Return the character shingles of ``text``, without word segmentation.

    The text is NFKC-normalised and casefolded, and everything but letters and digits
    (``str.isalnum``) is dropped: spaces, ASCII and CJK punctuation such as
    ``，。！？、；：“”（）``, symbols, emoji. Digits are kept as they are: "3号楼" and "5号楼"
    differ.

    A shingle is the shortest run of characters, starting at each position, that spans at
    least ``n`` display columns, where a wide (CJK) character counts two: with ``n=3``
    Chinese gives character bigrams and Latin text character trigrams, because one Han
    character carries about as much as a short Latin word. Each wide character is also a
    shingle on its own, so a Chinese re-wording that inserts or swaps particles (的, 又, 了)
    still shares most of its shingles. A text too short for one run gives itself as the only
    shingle; a text with no letters or digits gives the empty set.

    Raises ``ValueError`` if ``n`` is below 1.
    """
    if n < 1:
        raise ValueError(f"n must be at least 1, not {n}")
    clean = _clean(text)
    widths = [_width(c) for c in clean]
    found = {c for c, w in zip(clean, widths, strict=True) if w == 2}
    end = span = 0  # span: the display width of clean[start:end]
    for start in range(len(clean)):
        while span < n and end < len(clean):
            span += widths[end]
            end += 1
        if span < n:
            break  # the rest of the text is narrower than n columns
        found.add(clean[start:end])
        span -= widths[start]
    if not found and clean:
        found.add(clean)
    return frozenset(found)


@lru_cache(maxsize=8)
def _low_bits(num_perm: int) -> int:
    return int.from_bytes(b"\x7f\xff\xff\xff" * num_perm, "big")


@lru_cache(maxsize=_SHINGLE_CACHE_SIZE)
def _packed_values(label: bytes, num_perm: int) -> int:
    """The ``num_perm`` hash values of one shingle as one int, 31 bits in each 32-bit field."""
    digest = hashlib.shake_128(label).digest(4 * num_perm)
    return int.from_bytes(digest, "big") & _low_bits(num_perm)


class MinHasher:
    """MinHash signatures of shingle sets with ``num_perm`` independent hash functions:
    value ``i`` of a shingle is the ``i``-th 32-bit word of SHAKE-128 over the seed and the
    shingle, top bit cleared; the signature keeps, for each ``i``, the minimum over the set.

    The same ``(num_perm, seed)`` gives the same signatures in every process and on every
    platform. Values are ints in ``[0, 2**31)``. Thread-safe; nothing blocks.
    """

    def __init__(self, num_perm: int = 64, seed: int = 1) -> None:
        if num_perm < 1:
            raise ValueError(f"num_perm must be at least 1, not {num_perm}")
        self.num_perm = num_perm
        self.seed = seed
        self._prefix = f"plaint.minhash:{seed}:".encode()
        self._guard = int.from_bytes(b"\x80\x00\x00\x00" * num_perm, "big")
        self._unpack = struct.Struct(f">{num_perm}I").unpack

    def __reduce__(self) -> tuple[type[MinHasher], tuple[int, int]]:
        return MinHasher, (self.num_perm, self.seed)

    def signature(self, shingles: Iterable[str]) -> Signature:
        """Return the signature of a shingle set: ``num_perm`` ints, or ``()`` for an empty
        set (an empty text is nobody's near-duplicate)."""
        num_perm, guard, prefix = self.num_perm, self._guard, self._prefix
        packed = [_packed_values(prefix + s.encode(), num_perm) for s in set(shingles)]
        if not packed:
            return ()
        # The minima of all fields at once (SWAR): for each 32-bit field, (m | guard) - q
        # keeps the guard bit iff m >= q, and no borrow crosses fields since values < 2**31;
        # the surviving guard bits become a mask selecting q where m >= q, m elsewhere.
        least = packed[0]
        for values in packed[1:]:
            ge = ((least | guard) - values) & guard
            take = ge - (ge >> 31)
            least = (values & take) | (least & ~take)
        return self._unpack(least.to_bytes(4 * num_perm, "big"))


def jaccard(a: AbstractSet[str], b: AbstractSet[str]) -> float:
    """Return ``|a ∩ b| / |a ∪ b|`` exactly; ``0.0`` when both are empty."""
    union = len(a | b)
    return len(a & b) / union if union else 0.0


def estimate(sig_a: Sequence[int], sig_b: Sequence[int]) -> float:
    """Return the Jaccard similarity estimated from two signatures: the share of equal
    positions. ``0.0`` if either is empty; ``ValueError`` if their lengths differ."""
    if not sig_a or not sig_b:
        return 0.0
    if len(sig_a) != len(sig_b):
        raise ValueError(f"signatures of {len(sig_a)} and {len(sig_b)} values")
    equal: int = sum(map(operator.eq, sig_a, sig_b))
    return equal / len(sig_a)


def _band_digests(signature: Sequence[int], *, bands: int, rows: int) -> list[bytes]:
    if not signature:
        return []
    if bands < 1 or rows < 1 or bands * rows > len(signature):
        raise ValueError(f"{bands} bands of {rows} rows need {bands * rows} values")
    packed = struct.pack(f">{bands * rows}I", *signature[: bands * rows])
    width = 4 * rows
    return [
        hashlib.blake2b(packed[i * width : (i + 1) * width], digest_size=8).digest()
        for i in range(bands)
    ]


def band_hashes(signature: Sequence[int], *, bands: int, rows: int) -> list[int]:
    """Return one 64-bit hash per band of ``rows`` consecutive values (``[]`` for an empty
    signature). Raises ``ValueError`` if the signature has fewer than ``bands * rows``."""
    return [int.from_bytes(d, "big") for d in _band_digests(signature, bands=bands, rows=rows)]


def lsh_keys(signature: Sequence[int], *, bands: int, rows: int) -> list[str]:
    """Return one compact, indexable key per band, ``"<band>:<16 hex digits>"`` (the band's
    :func:`band_hashes` value); two signatures are LSH candidates iff they share a key.
    ``[]`` for an empty signature; ``ValueError`` as for :func:`band_hashes`."""
    digests = _band_digests(signature, bands=bands, rows=rows)
    return [f"{i}:{d.hex()}" for i, d in enumerate(digests)]


def candidate_probability(similarity: float, *, bands: int, rows: int) -> float:
    """Return the probability that two sets of Jaccard ``similarity`` share a band key:
    ``1 - (1 - s**rows)**bands``."""
    return 1.0 - (1.0 - similarity**rows) ** bands


def _band_error(threshold: float, bands: int, rows: int, fn_weight: float) -> float:
    step = 1.0 / _INTEGRATION_STEPS
    false_pos = false_neg = 0.0
    for i in range(_INTEGRATION_STEPS):
        s = (i + 0.5) * step
        p = candidate_probability(s, bands=bands, rows=rows)
        if s < threshold:
            false_pos += p * step
        else:
            false_neg += (1.0 - p) * step
    return (1.0 - fn_weight) * false_pos + fn_weight * false_neg


def choose_bands(
    threshold: float, num_perm: int, *, false_negative_weight: float = 0.75
) -> tuple[int, int]:
    """Return ``(bands, rows)`` with ``bands * rows <= num_perm`` minimising the weighted
    area of the S-curve on the wrong side of ``threshold``: candidates below it (wasted
    lookups) and misses above it (lost duplicates, weighted by ``false_negative_weight``).
    Raises ``ValueError`` for a threshold outside (0, 1) or ``num_perm < 1``."""
    if not 0.0 < threshold < 1.0 or num_perm < 1:
        raise ValueError(f"threshold {threshold} and num_perm {num_perm}")
    options = [(num_perm // r, r) for r in range(1, num_perm + 1)]
    return min(
        options,
        key=lambda br: _band_error(threshold, br[0], br[1], false_negative_weight),
    )


@dataclass(frozen=True, kw_only=True)
class NearDuplicateConfig:
    """How near a complaint must be to an earlier one to count as its duplicate.

    ``threshold`` is the estimated Jaccard similarity of shingle sets (``ngram`` display
    columns, see :func:`shingles`) at or above which two texts are near-duplicates. LSH makes
    a pair of similarity ``s`` a candidate with probability ``1 - (1 - s**rows)**bands``, an
    S-curve rising around ``(1/bands)**(1/rows)``. A candidate below the threshold costs one
    comparison; a pair above it that never becomes a candidate is a duplicate lost, so the
    curve sits below the threshold (``choose_bands(0.4, 64)`` weighs a miss three times a
    wasted candidate and returns these defaults).

    Why 0.4, 21 bands of 3 rows: re-worded complaints (the table in
    ``tests/pipeline/test_similarity.py``) measure 0.42-0.77 with these shingles, while pairs
    of unrelated complaints from the labelled sample ``bench/data/property_complaints.jsonl``
    measure 0.09 at the 99th percentile and 0.14 at the 99.9th. The curve makes a pair a
    candidate with probability s=0.1 → 2 %, s=0.2 → 16 %, s=0.3 → 44 %, s=0.4 → 75 %,
    s=0.5 → 94 %, s=0.6 → 99.4 %. (16 bands of 4 rows, the textbook curve for 0.5, finds only
    64 % of pairs at 0.5 and 34 % at 0.4.)

    Raises ``ConfigError`` for values that cannot work together.
    """

    threshold: float = 0.4
    num_perm: int = 64
    bands: int = 21
    rows: int = 3
    ngram: int = 3
    seed: int = 1

    def __post_init__(self) -> None:
        if not 0.0 < self.threshold <= 1.0:
            raise ConfigError(f"near_duplicates.threshold must be in (0, 1], not {self.threshold}")
        if min(self.num_perm, self.bands, self.rows, self.ngram) < 1:
            raise ConfigError("near_duplicates: num_perm, bands, rows and ngram must be >= 1")
        if self.bands * self.rows > self.num_perm:
            raise ConfigError(
                f"near_duplicates: {self.bands} bands x {self.rows} rows > {self.num_perm} perms"
            )

    @cached_property
    def hasher(self) -> MinHasher:
        """The :class:`MinHasher` of this configuration."""
        return MinHasher(self.num_perm, self.seed)

    def signature(self, text: str) -> Signature:
        """Return the signature of ``text`` under this configuration."""
        return self.hasher.signature(shingles(text, n=self.ngram))

    def keys(self, signature: Sequence[int]) -> list[str]:
        """Return the LSH keys of ``signature`` under this configuration."""
        return lsh_keys(signature, bands=self.bands, rows=self.rows)


class InMemoryIndex:
    """LSH index of signatures in this process's memory, for tests and benchmarks.

    Each band has its own table from band hash to item ids, as a database would index the
    ``(ticket_id, key)`` rows of :func:`lsh_keys`; signatures are kept packed (4 bytes a
    value) to score candidates. Not thread-safe; nothing here blocks.
    """

    def __init__(self, *, bands: int, rows: int) -> None:
        self.bands = bands
        self.rows = rows
        self._tables: list[dict[int, int | list[int]]] = [{} for _ in range(bands)]
        self._signatures: dict[int, bytes] = {}

    def __len__(self) -> int:
        return len(self._signatures)

    def add(self, item_id: int, signature: Sequence[int]) -> None:
        """Index ``signature`` under ``item_id``. An empty signature is kept but never a
        candidate. Raises ``ValueError`` if ``item_id`` is already indexed or the signature
        is too short for the bands."""
        if item_id in self._signatures:
            raise ValueError(f"item {item_id} is already indexed")
        hashes = band_hashes(signature, bands=self.bands, rows=self.rows)
        self._signatures[item_id] = struct.pack(f"<{len(signature)}I", *signature)
        for table, h in zip(self._tables, hashes, strict=False):
            bucket = table.get(h)
            if bucket is None:
                table[h] = item_id
            elif isinstance(bucket, list):
                bucket.append(item_id)
            else:
                table[h] = [bucket, item_id]

    def candidates(self, signature: Sequence[int]) -> set[int]:
        """Return the ids of the indexed items sharing at least one band with
        ``signature`` (empty for an empty signature)."""
        found: set[int] = set()
        hashes = band_hashes(signature, bands=self.bands, rows=self.rows)
        for table, h in zip(self._tables, hashes, strict=False):
            bucket = table.get(h)
            if isinstance(bucket, list):
                found.update(bucket)
            elif bucket is not None:
                found.add(bucket)
        return found

    def signature_of(self, item_id: int) -> Signature:
        """Return the signature indexed under ``item_id``; ``KeyError`` if there is none."""
        packed = self._signatures[item_id]
        return struct.unpack(f"<{len(packed) // 4}I", packed)

    def query(self, signature: Sequence[int], *, threshold: float) -> list[tuple[int, float]]:
        """Return ``(item_id, estimated similarity)`` of the candidates whose estimate is at
        least ``threshold``, best first (ties by id)."""
        scored = [
            (i, estimate(signature, self.signature_of(i))) for i in self.candidates(signature)
        ]
        return sorted(
            ((i, s) for i, s in scored if s >= threshold), key=lambda pair: (-pair[1], pair[0])
        )
