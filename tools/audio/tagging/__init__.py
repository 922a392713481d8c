"""Music tagging: musicnn's MagnaTagATune and Million Song Dataset taggers, ported to torch (see `tagger`)."""

from tools.audio.tagging.tagger import MODELS, MusicTag, MusicTags, tag_music

__all__ = ["MODELS", "MusicTag", "MusicTags", "tag_music"]
