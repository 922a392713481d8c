"""DSPy agents, their roles and signatures, and the LM layer they run on."""
