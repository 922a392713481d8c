"""LangGraph pipelines and their command-line entry points."""
