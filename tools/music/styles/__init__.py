"""Style realisers: the notes a style's texture writes around a melody and chords."""
