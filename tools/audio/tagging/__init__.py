"""Music tagging: musicnn's MagnaTagATune and Million Song Dataset taggers, ported to torch.

`tagger.tag_music` tags a clip (and imports torch); the types here import without it.
"""

from tools.audio.tagging.tags import MODELS, MusicTag, MusicTags, TagScores

__all__ = ["MODELS", "MusicTag", "MusicTags", "TagScores"]
