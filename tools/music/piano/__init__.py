"""Two-hand piano generation with a factorised (pitch + hand) note embedding, trained on Beethoven's sonatas.

`tool.PianoGenerationTool` is the agent-facing entry point; `python -m tools.music.piano.train`
reproduces the shipped checkpoint and the joint-vs-factorised comparison.
"""
