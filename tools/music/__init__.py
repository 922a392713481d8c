"""Neural music models exposed as typed tools: piano generation, harmonisation, SOM exploration,
song-aesthetics scoring. Each model trains here on real music and ships as a small checkpoint.

Names are re-exported lazily (`tools.exports`): importing the package does not load torch or music21.
"""

from tools.exports import lazy_exports

__all__ = [
    "CheckpointError",
    "HarmoniseTool",
    "NeuralSectionTools",
    "PianoGenerationTool",
    "RenderError",
    "ScoreInputError",
    "SectionTools",
    "SongAestheticsTool",
    "VariationsTool",
    "describe_piece",
    "read_score",
    "render_all",
    "write_score",
]

__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "tools.music.aesthetics.tool": ("SongAestheticsTool",),
        "tools.music.analysis": ("describe_piece",),
        "tools.music.checkpoints": ("CheckpointError",),
        "tools.music.harmony.tool": ("HarmoniseTool",),
        "tools.music.neural_sections": ("NeuralSectionTools",),
        "tools.music.piano.tool": ("PianoGenerationTool",),
        "tools.music.render": ("RenderError", "render_all"),
        "tools.music.scoreio": ("ScoreInputError", "read_score", "write_score"),
        "tools.music.section_tools": ("SectionTools",),
        "tools.music.som.tool": ("VariationsTool",),
    },
)
