"""Callable tools for the agents: music models, audio, web."""
