"""Style realisers: each turns a melody, one chord per slot and a key into the bars of one style
(`ontology.music_styles.Style`), writing the notes a small model cannot be trusted to write: a
chorale's voice leading, a waltz's bass-chord-chord, a nocturne's arpeggiated left hand."""
