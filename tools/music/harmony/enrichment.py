"""A wider chord vocabulary after the harmoniser: secondary dominants, cadential preparation, the
minor key's major dominant and a borrowed iv, in the measure each style uses them.

The FF harmoniser (trained on the Bach chorales) chooses one chord per slot and, greedy about the
likeliest label, rarely leaves the key: its chorales sound about half as many distinct chords as
Bach's, and every style measured 0-2% of its notes outside the key against 2-9% in real music. So a
small, rule-written step colours its choices the way a musician would, each rule asking the melody
first (every note sounding in the slot must be a tone of the new chord, or after the slot's first
onset a passing or neighbour tone that does not rub against its altered tone):

- first the key keeps its tonic (`_Colouring.keep_the_tonic`): the harmoniser's secondary dominants
  that go nowhere near their target, and its V/V anywhere but before a cadence's dominant, become
  the key's own chords where the melody allows (V/V after V/V in a half-cadence phrase made the
  dominant the key the ear hears);
- a chord before a diatonic target (ii, iii, IV, vi in major; iv, VI in minor; their sevenths
  too) may become the target's dominant (V or V7 of it: I7 before IV, whose flattened seventh
  sounds in the inner voices), or sparingly its leading-tone diminished seventh; the chromatic
  tone need not be the melody's, which may hold any other tone of the new chord. V is tonicised
  only where a cadence's dominant is prepared (below);
- in major, a dominant before the tonic may become the leading-tone diminished seventh borrowed from
  the minor (vii°7, its lowered sixth falling to the dominant's fifth), once a phrase at most;
- the slot before a cadence's dominant is prepared: V/V (the commonest secondary dominant of all),
  in major at the style's taste for the minor's colours the borrowed iv or iiø7 (F-Ab-C, D-F-Ab-C
  in C major: a waltz's or a nocturne's darkened approach to a half close), ii7 (sounded as ii6/5
  where the realiser inverts it), IV, or before an authentic close the tonic the realisers may set
  as a cadential 6/4;
- in minor the dominant is major (its third is the leading tone) wherever the melody allows;
- in major, near a full close, IV may turn minor (the borrowed iv, a plagal colour), once.

The cadence chords the phrases are given (`given`) are never changed. How often each rule fires is
the style's (`ENRICHMENT`), and each choice is drawn from the request's seed, so pieces differ and
a seed writes the same piece twice. Every chord is open to every key: a piece spells its symbols by
function in its key (`Piece.spelled_harmony`: G#7 before C#m in A major, never "Ab7"). Until session
42 a chord whose canonical name (`NOTE_NAMES`) had the wrong letter was not introduced at all, which
kept sharp keys plain: A major lost V/iii, its vii°7 and four of its diminished sevenths, and the
twelve A major chorales of sixty fixed-plan ones sounded 2.9% of their notes outside the key against
the F major ones' 5.9%; with every chord open, 6.2%.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from fractions import Fraction

from ontology.music_styles import PHRASE_BARS, Style
from ontology.music_theory import Key, Meter, Mode, exact_quarters
from tools.music.harmony.chords import QUALITIES, chord_index, chord_pitch_classes, chord_root_quality
from tools.music.harmony.data import MelodyNote

TARGET_DEGREES: dict[Mode, tuple[int, ...]] = {Mode.MAJOR: (2, 3, 4, 5, 6), Mode.MINOR: (4, 5, 6)}
"""Scale degrees a secondary dominant may lead to: the key's consonant triads but the tonic (whose
dominant is V itself); in minor III is left out (its dominant, VII, is in the key already)."""
TARGET_QUALITIES = ("maj", "min", "dom7", "min7", "maj7")
"""A target is a consonant triad or a seventh chord built on one (V7 is tonicised as V is)."""


@dataclass(frozen=True)
class EnrichmentRates:
    """How often a style colours the harmoniser's chords; each a probability per opportunity."""

    secondary_dominant: float
    """A chord before a diatonic target becomes the target's dominant."""
    seventh: float
    """A secondary dominant is a seventh chord (V7/x) rather than a triad."""
    diminished_seventh: float
    """A secondary dominant is the target's leading-tone diminished seventh instead (vii°7/x)."""
    cadence_preparation: float
    """The slot before a cadence's dominant becomes V/V, ii7, IV or the cadential 6/4's tonic."""
    borrowed_iv: float
    """In major, the last IV before a full close turns minor, and a cadence's preparation may be
    borrowed from the minor (iv, iiø7)."""
    leading_tone_seventh: float = 0.0
    """In major, a dominant (V, V7) before the tonic becomes the borrowed vii°7."""
    colour: tuple[float, float] = (1.0, 1.0)
    """The range a piece's colour is drawn from (`piece_colour`): a factor on the rates above and on its
    phrases' leaning into related keys (`LineRules.tonicise`), so some pieces of a style stay plain
    and others are full of applied chords, as real ones are."""

    def coloured(self, colour: float) -> EnrichmentRates:
        """These rates for a piece of `colour`, each at most 1."""
        return replace(self, **{name: min(1.0, getattr(self, name) * colour) for name in (
            "secondary_dominant", "diminished_seventh", "cadence_preparation", "borrowed_iv",
            "leading_tone_seventh")})

    def piece_colour(self, piece_seed: int) -> float:
        """The colour of the piece drawn from `piece_seed` (every section of a piece shares it)."""
        return random.Random(f"colour {piece_seed}").uniform(*self.colour)


NO_ENRICHMENT = EnrichmentRates(0.0, 0.0, 0.0, 0.0, 0.0)

ENRICHMENT: dict[Style, EnrichmentRates] = {
    # Bach: a secondary dominant in most chorales, V/V and ii6/5 before cadences, sevenths everywhere.
    # With V tonicised only before cadences (`keep_the_tonic`), the other targets are taken more
    # often, or the chorales' out-of-key share fell to 1.6% against Bach's 5%. The diminished
    # sevenths (two notes outside the key where V7/x has one) and the minor's colours in major are
    # taken at half the chances or more: at a quarter to a half, sixty fixed-plan chorales sounded
    # 3.8% of their notes outside the key on average against Bach's 5.1%, now 4.2%, and the overlap
    # with Bach's spread rose from 0.70 to 0.78 (`bench/compose_tools_quality.py --styles chorale
    # -n 60`, session 36; at 0.7, 0.7 and 1.0: 4.4% and 0.79). But at a half (and the vii°7 before
    # the tonic at 0.8) they sounded 21 diminished sevenths in 100 bars, Bach's chorales 6 (read from
    # music21's chordify on the beat, Riemenschneider 1-30; session 52), a vii°7 turning I into I again
    # (G Ab G in an inner voice) in most phrases; at 0.3 and 0.4, 13, with more V7/x and minor iv
    # (seventh 0.7 -> 0.8, borrowed iv 0.5 -> 0.8) for the colour. One colour for every chorale kept
    # them in a narrow band, 1.9-6.5% of their notes outside the key (10th-90th percentile of sixty
    # fixed-plan chorales; Bach's 0.5-10.7%); a piece's colour drawn from 0.2-1.8 spreads them over
    # 0.9-6.4% (overlap 0.65 -> 0.72, session 54). Nocturnes so coloured did not spread (0.73 -> 0.72):
    # their rates stand near 1 already, and their colour is the left hand's (`piece_neighbour_rate`).
    Style.CHORALE: EnrichmentRates(secondary_dominant=0.9, seventh=0.8, diminished_seventh=0.3,
                                   cadence_preparation=0.7, borrowed_iv=0.8, leading_tone_seventh=0.4,
                                   colour=(0.2, 1.8)),
    # Waltzes and nocturnes: V/V, V/ii and V/vi are common; a nocturne likes the minor iv's shadow.
    # Their running melodies let a chromatic chord in only now and then, so each chance is taken.
    Style.WALTZ: EnrichmentRates(secondary_dominant=0.85, seventh=0.8, diminished_seventh=0.35,
                                 cadence_preparation=0.9, borrowed_iv=0.5, leading_tone_seventh=0.7),
    Style.NOCTURNE: EnrichmentRates(secondary_dominant=0.9, seventh=0.8, diminished_seventh=0.4,
                                    cadence_preparation=0.9, borrowed_iv=0.8, leading_tone_seventh=0.8),
    # A jig's tune rests on I, IV and V: almost no chromatic chords.
    Style.JIG: EnrichmentRates(secondary_dominant=0.03, seventh=0.5, diminished_seventh=0.0,
                               cadence_preparation=0.3, borrowed_iv=0.0),
    # Free piano's chords are read from the notes both hands play, not chosen: nothing to colour.
    Style.FREE_PIANO: NO_ENRICHMENT,
}
"""Each style's rates; the chorale's are set so most sixteen-bar chorales carry a secondary dominant."""


def enrich_harmony(chords: Sequence[int], melody: Sequence[MelodyNote], key: Key, slot: Fraction,
                   meter: Meter, given: Mapping[int, int], rates: EnrichmentRates, seed: int) -> list[int]:
    """`chords` (one per `slot` quarters from the section's start, no "N.C.") coloured at `rates`
    (a style's: `ENRICHMENT`); `melody` in quarters from the same start; `given` the slots whose
    chords the phrases' cadences fix (kept as they are). Deterministic for a `seed`."""
    rng = random.Random(seed)
    colour = _Colouring(list(chords), melody, key, slot, meter.beat_quarters, given)
    colour.keep_the_tonic()
    colour.major_dominant()
    colour.prepare_cadences(rng, rates)
    colour.secondary_dominants(rng, rates)
    phrase = int(meter.bar_quarters / slot) * PHRASE_BARS
    colour.leading_tone_sevenths(rng, rates, phrase)
    colour.borrowed_iv(rng, rates, last_phrase=phrase)
    return colour.chords


class _Colouring:
    """The chords being coloured, with what every rule asks: the slots the cadences fix, the melody
    notes sounding in a slot, and the slots already changed (a coloured chord is not coloured twice,
    nor its neighbour, so two chromatic chords never follow each other)."""

    def __init__(self, chords: list[int], melody: Sequence[MelodyNote], key: Key, slot: Fraction, beat: Fraction,
                 given: Mapping[int, int]) -> None:
        self.chords, self.key, self.slot, self.beat, self.given = chords, key, slot, beat, given
        self.melody = sorted((exact_quarters(n.onset), exact_quarters(n.duration), n.pitch) for n in melody)
        self.changed: set[int] = set()

    def chord(self, degree: int, quality: str) -> int:
        return chord_index(self.key.degree_root(degree), quality)

    def free(self, index: int) -> bool:
        """A slot the rules may change: not given by a cadence, not next to a slot already changed."""
        return (0 <= index < len(self.chords) and index not in self.given
                and not {index - 1, index, index + 1} & self.changed)

    def fits(self, chord: int, index: int) -> bool:
        """Every melody note sounding in the slot is a tone of `chord`, or, struck after the
        slot's start, a non-chord tone that does not rub chromatically against a chord tone (F
        against D7's F# in C major is a clash, not a passing note): on a beat (or off the beat of a
        chord a beat long) a passing tone (by step on in one direction) or a neighbour tone (by step
        and back); off the beat of a chord longer than a beat, as a waltz's running eighths are,
        one approached or left by step (an escape tone, an appoggiatura on the weak eighth). A
        seventh the melody sounds last in the slot, where the chord changes, must fall by step
        (within the slot a figuration may leave it by leap, as a nocturne's arpeggios do)."""
        tones = chord_pitch_classes(chord)
        start, end = self.slot * index, self.slot * (index + 1)
        for position, (onset, duration, pitch) in enumerate(self.melody):
            if onset >= end or onset + duration <= start:
                continue
            if pitch % 12 not in tones:
                before = self.melody[position - 1][2] if position > 0 else None
                after = self.melody[position + 1][2] if position + 1 < len(self.melody) else None
                steps = [other is not None and 1 <= abs(pitch - other) <= 2 for other in (before, after)]
                weak = onset % self.beat != 0 and self.slot > self.beat
                allowed = onset % self.slot != 0 and (all(steps) or (weak and any(steps)))
                if not allowed or any(self.rubs(pitch % 12, tone) for tone in tones):
                    return False
            elif pitch % 12 == _seventh(chord) and onset + duration <= end:
                following = self.melody[position + 1] if position + 1 < len(self.melody) else None
                last = following is None or following[0] >= end
                if last and (following is None or not 1 <= pitch - following[2] <= 2):
                    return False
        return True

    def rubs(self, pitch_class: int, tone: int) -> bool:
        """A semitone between a melody note and a chord tone where either is chromatic (outside the
        key's natural scale): F against F#, C against a minor key's raised C#. The diatonic
        semitones (E-F, B-C) make ordinary passing notes."""
        natural = {self.key.degree_root(degree) for degree in range(1, 8)}
        semitone = min((pitch_class - tone) % 12, (tone - pitch_class) % 12) == 1
        return semitone and not {pitch_class, tone} <= natural

    def place(self, index: int, options: Sequence[int]) -> bool:
        """The first of `options` that fits the melody and differs from the chord there, placed; False if none."""
        for chord in options:
            if chord != self.chords[index] and self.fits(chord, index):
                self.chords[index] = chord
                self.changed.add(index)
                return True
        return False

    def dominant_options(self, target: int, rng: random.Random, rates: EnrichmentRates) -> list[int]:
        """The target's dominants in the order to try: vii°7/x (drawn sparingly), then V7/x or V/x
        (drawn by the seventh rate), then the other."""
        parts = chord_root_quality(target)
        if parts is None:
            return []
        root, _ = parts
        dominant, leading = (root + 7) % 12, (root - 1) % 12
        sevenths = [chord_index(dominant, "dom7"), chord_index(dominant, "maj")]
        options = sevenths if rng.random() < rates.seventh else sevenths[::-1]
        if rng.random() < rates.diminished_seventh:
            options.insert(0, chord_index(leading, "dim7"))
        return options

    def keep_the_tonic(self) -> None:
        """The harmoniser's chromatic chords that pull the ear from the key, made diatonic where the
        melody allows: a secondary dominant (a chromatic major or dominant-seventh chord) that does
        not move to its target a fifth below becomes the key's triad (or seventh) on its root (C#
        major in A major, followed by A, becomes C# minor), and V/V anywhere but the slot before a
        cadence's dominant becomes ii7, ii or IV. Measured: a half-cadence phrase approaching V
        through V/V over and over, restated in A', made the fixed-plan chorale's key (A major) the
        dominant's to the ear, and a whole bar of an unresolved III did a nocturne's."""
        scale, dominants = self.key.scale(), {self.chord(5, "maj"), self.chord(5, "dom7")}
        minor = self.key.mode is Mode.MINOR
        supertonic = {chord_index(self.key.degree_root(2), quality) for quality in ("maj", "dom7")}
        for index, chord in enumerate(self.chords):
            parts = chord_root_quality(chord)
            if index in self.given or parts is None or parts[1] not in ("maj", "dom7") \
                    or chord_pitch_classes(chord) <= scale or parts[0] not in scale:
                continue
            following = self.chords[index + 1] if index + 1 < len(self.chords) else None
            target = chord_root_quality(following) if following is not None else None
            resolves = target is not None and target[0] == (parts[0] + 5) % 12
            if resolves and (chord not in supertonic or self.given.get(index + 1) in dominants):
                continue
            options = ([self.chord(2, "hdim7" if minor else "min7"), self.chord(2, "dim" if minor else "min"),
                        self.chord(4, "min" if minor else "maj")] if chord in supertonic else
                       [option for quality in ("min", "maj", "dim", "min7", "dom7", "maj7")
                        if chord_pitch_classes(option := chord_index(parts[0], quality)) <= scale])
            diatonic = next((option for option in options if self.fits(option, index)), None)
            if diatonic is not None:
                self.chords[index] = diatonic

    def major_dominant(self) -> None:
        """In minor, v and v7 become V and V7 wherever the melody allows the raised leading tone."""
        if self.key.mode is not Mode.MINOR:
            return
        minor, major = self.chord(5, "min"), self.chord(5, "maj")
        for index, chord in enumerate(self.chords):
            if index not in self.given and chord in (minor, self.chord(5, "min7")):
                wanted = major if chord == minor else self.chord(5, "dom7")
                if self.fits(wanted, index):
                    self.chords[index] = wanted

    def prepare_cadences(self, rng: random.Random, rates: EnrichmentRates) -> None:
        """The slot before each given dominant (V or V7 a cadence fixes) prepared: V/V, in major
        (drawn at the borrowed-iv rate) iv or iiø7 borrowed from the minor, ii7, IV, or before an
        authentic close the tonic of a cadential 6/4, drawn in that order of preference."""
        dominants = {self.chord(5, "maj"), self.chord(5, "dom7")}
        minor = self.key.mode is Mode.MINOR
        for index in sorted(self.given):
            if self.given[index] not in dominants or index - 1 in self.given or not self.free(index - 1):
                continue
            if rng.random() >= rates.cadence_preparation:
                continue
            authentic = self.given.get(index + 1) == self.chord(1, "min" if minor else "maj")
            diatonic = [self.chord(2, "hdim7" if minor else "min7"), self.chord(4, "min" if minor else "maj")]
            if authentic:
                diatonic.append(self.chord(1, "min" if minor else "maj"))
            rng.shuffle(diatonic)
            borrowed = [self.chord(4, "min"), self.chord(2, "hdim7")]
            rng.shuffle(borrowed)
            if minor or rng.random() >= rates.borrowed_iv:
                borrowed = []
            # V/V first where the melody allows it: the commonest preparation of all.
            self.place(index - 1, [*self.dominant_options(self.chord(5, "maj"), rng, rates), *borrowed, *diatonic])

    def secondary_dominants(self, rng: random.Random, rates: EnrichmentRates) -> None:
        """A chord before a diatonic target, on a slot the cadences leave free, may become its dominant."""
        targets = {self.chord(degree, quality) for degree in TARGET_DEGREES[self.key.mode]
                   for quality in TARGET_QUALITIES if chord_pitch_classes(self.chord(degree, quality))
                   <= self.key.scale()}
        for index in range(len(self.chords) - 1):
            target = self.chords[index + 1]
            if target not in targets or self.chords[index] == target or not self.free(index):
                continue
            if target in {self.chord(5, "maj"), self.chord(5, "dom7")}:  # V/V prepares cadences only
                continue
            if rng.random() < rates.secondary_dominant:
                self.place(index, self.dominant_options(target, rng, rates))

    def leading_tone_sevenths(self, rng: random.Random, rates: EnrichmentRates, phrase: int) -> None:
        """In major, V or V7 before the tonic, on a slot the cadences leave free, may become vii°7
        (B-D-F-Ab in C major): the minor key's diminished seventh, whose Ab falls to G. A colour, so
        once a `phrase` (in slots) at most: taken at every chance, a chorale whose harmoniser swung
        I-V-I-V sang I-vii°7 thirteen times in sixteen bars."""
        if self.key.mode is not Mode.MAJOR:
            return
        tonic, leading = self.chord(1, "maj"), (self.key.tonic - 1) % 12
        dominants = {self.chord(5, "maj"), self.chord(5, "dom7")}
        coloured: set[int] = set()
        for index in range(len(self.chords) - 1):
            if (index // phrase not in coloured and self.chords[index] in dominants
                    and self.chords[index + 1] == tonic and self.free(index)
                    and rng.random() < rates.leading_tone_seventh
                    and self.place(index, [chord_index(leading, "dim7")])):
                coloured.add(index // phrase)

    def borrowed_iv(self, rng: random.Random, rates: EnrichmentRates, last_phrase: int) -> None:
        """In major, the last IV of a section closing on its tonic may turn minor (iv), in its last phrase."""
        final = self.given.get(len(self.chords) - 1)
        if self.key.mode is not Mode.MAJOR or final != self.chord(1, "maj"):
            return
        major, minor = self.chord(4, "maj"), self.chord(4, "min")
        for index in range(len(self.chords) - 1, max(-1, len(self.chords) - 1 - last_phrase), -1):
            if self.chords[index] == major and self.free(index):
                if rng.random() < rates.borrowed_iv:
                    self.place(index, [minor])
                return


def _seventh(chord: int) -> int | None:
    """The pitch class of a seventh chord's seventh, None for a triad."""
    parts = chord_root_quality(chord)
    if parts is None or len(QUALITIES[parts[1]]) < 4:
        return None
    root, quality = parts
    return (root + QUALITIES[quality][3]) % 12
