"""Melody harmonisation with a single-encoder masked transformer and the full-to-full (FF) curriculum.

Trained on music21's Bach chorales (`train`), compared with random and midpoint-doubling curricula
(`evaluate`), exposed to agents as `tool.HarmoniseTool`. See arXiv 2601.16150 for the FF curriculum.
"""
