"""DSPy agents, their roles and signatures, and the LM layer they run on.

Names are re-exported lazily (`tools.exports`): importing the package loads neither DSPy nor a model.
"""

from tools.exports import lazy_exports

__all__ = ["Conversation", "Role"]

__getattr__, __dir__ = lazy_exports(__name__, {"agents.conversation": ("Conversation", "Role")})
