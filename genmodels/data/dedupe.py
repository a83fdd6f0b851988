"""Fingerprints for finding duplicate training images: a 64-bit DCT perceptual hash (pHash) plus a
tiny colour thumbnail. uint8 (H, W, 3) RGB in, never modified."""
from __future__ import annotations

import cv2
import numpy as np

# Number of set bits in each byte value, for Hamming distances between packed hashes.
_POPCOUNT = np.array([bin(i).count("1") for i in range(256)], dtype=np.uint8)


def _shrink(img: np.ndarray, size: int) -> np.ndarray:
    h, w = img.shape[:2]
    interp = cv2.INTER_AREA if size <= min(h, w) else cv2.INTER_LINEAR  # area averaging never aliases
    return cv2.resize(np.ascontiguousarray(img), (size, size), interpolation=interp)


def phash(img: np.ndarray) -> np.ndarray:
    """64-bit DCT perceptual hash of an RGB image, packed as 8 uint8.

    Grey 32 x 32 thumbnail -> 2-D DCT -> the 8 x 8 lowest frequencies -> 1 where above their median
    (the classic pHash). Similar pictures (re-encoded, resized, lightly edited) differ in few bits.
    """
    grey = cv2.cvtColor(np.ascontiguousarray(img), cv2.COLOR_RGB2GRAY)
    low = cv2.dct(_shrink(grey, 32).astype(np.float32))[:8, :8]
    return np.packbits((low > np.median(low)).ravel())


def colour_thumb(img: np.ndarray) -> np.ndarray:
    """8 x 8 x 3 float thumbnail: pHash ignores colour, so near duplicates must also match in colour."""
    return _shrink(img, 8).astype(np.float32)


def hamming(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Bit differences between packed hashes a (..., 8) and b (8,) -> int32 (...)."""
    return _POPCOUNT[np.bitwise_xor(a, b)].sum(axis=-1, dtype=np.int32)


class NearDuplicateIndex:
    """pHashes + colour thumbnails of the images kept so far; finds near duplicates of a new one.

    Near duplicate: pHash Hamming distance <= max_distance (0..64) and mean colour difference
    <= max_colour (0..255) on 8 x 8 thumbnails, so two flat pictures of different colours, which
    share a pHash, are not confused.
    """

    def __init__(self, max_distance: int, max_colour: float = 12.0):
        self.max_distance, self.max_colour = max_distance, max_colour
        self._hashes = np.zeros((16, 8), dtype=np.uint8)
        self._thumbs = np.zeros((16, 8, 8, 3), dtype=np.float32)
        self._n = 0

    def is_near_duplicate(self, img: np.ndarray) -> bool:
        """True if img nearly duplicates a kept image; otherwise keeps img and returns False."""
        h, thumb = phash(img), colour_thumb(img)
        if self._n:
            close = np.flatnonzero(hamming(self._hashes[:self._n], h) <= self.max_distance)
            if close.size:
                colour = np.abs(self._thumbs[close] - thumb).mean(axis=(1, 2, 3))
                if (colour <= self.max_colour).any():
                    return True
        if self._n == len(self._hashes):  # grow by doubling: appends stay O(1) amortised
            self._hashes = np.concatenate([self._hashes, np.zeros_like(self._hashes)])
            self._thumbs = np.concatenate([self._thumbs, np.zeros_like(self._thumbs)])
        self._hashes[self._n], self._thumbs[self._n] = h, thumb
        self._n += 1
        return False
