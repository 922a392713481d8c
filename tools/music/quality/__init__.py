"""Quality of generated music measured against real music, per style (issue 13).

`timeline` puts a generated `Piece` and a music21 score into one representation, `features`
measures a piece, `references` builds and caches the real-music sets, `overlap` is the
Yang & Lerch overlapping area, and `compare` puts them together per style.
"""
