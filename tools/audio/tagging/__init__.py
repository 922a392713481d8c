"""Music tagging: musicnn's MagnaTagATune and Million Song Dataset taggers, ported to torch (see `tagger`)."""

from tools.audio.tagging.tagger import MODELS, MusicTag, MusicTags, TagScores, score_tags, tag_music

__all__ = ["MODELS", "MusicTag", "MusicTags", "TagScores", "score_tags", "tag_music"]
