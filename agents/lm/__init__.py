"""The LM layer: embedded llama.cpp engine, hosted models, accounting and typed outputs."""
