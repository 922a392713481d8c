"""A phrase's inner bars borrowing a related key's scale (tools.music.styles.tonicisation)."""

from __future__ import annotations

from ontology.music_theory import Key, Mode
from tools.music.styles.tonicisation import RELATED_KEYS, tonicised_scales

C_MAJOR = frozenset(Key(0, Mode.MAJOR).scale())


def test_only_a_phrases_inner_bars_borrow_and_each_phrase_one_related_key() -> None:
    """Sixteen bars in phrases ending at bars 3, 7, 11 and 15: at rate 1 bars 1, 5, 9 and 13 borrow
    (a phrase's first bar states the key, its last two lead into and make its cadence); a six-bar phrase
    borrows for its three inner bars, all in one key."""
    related = {frozenset(Key((0 + steps) % 12, mode).scale()) for steps, mode in RELATED_KEYS[Mode.MAJOR]}
    for seed in range(8):
        scales = tonicised_scales(Mode.MAJOR, 16, [3, 7, 11, 15], 1.0, seed)
        assert [bar for bar, scale in enumerate(scales) if scale is not None] == [1, 5, 9, 13]
        assert all(scale in related and scale != C_MAJOR for scale in scales if scale is not None)
        six = tonicised_scales(Mode.MAJOR, 6, [5], 1.0, seed)
        assert six[0] is None and six[1] == six[2] == six[3] is not None and six[4] is None and six[5] is None
    assert tonicised_scales(Mode.MAJOR, 16, [3, 7, 11, 15], 0.0, 0) == (None,) * 16
    assert tonicised_scales(Mode.MINOR, 16, [3, 7], 1.0, 3) == tonicised_scales(Mode.MINOR, 16, [3, 7], 1.0, 3)


def test_a_minor_key_leans_on_keys_that_bring_notes_its_scale_lacks() -> None:
    """The minor key's scale already holds its raised sixth and seventh; each related key adds a note."""
    a_minor = Key(9, Mode.MINOR).scale()
    for steps, mode in RELATED_KEYS[Mode.MINOR]:
        assert Key((9 + steps) % 12, mode).scale() - a_minor
