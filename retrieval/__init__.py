"""Vector stores, embeddings and exemplar corpora that ground the agents.

Names are re-exported lazily (`tools.exports`): importing the package does not load chromadb or
sentence-transformers.
"""

from tools.exports import lazy_exports

__all__ = [
    "ExemplarGame",
    "ExemplarStore",
    "MiniLMEmbedder",
    "RetrievalConstraints",
    "load_exemplars",
    "shared_embedder",
]

__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "retrieval.embeddings": ("MiniLMEmbedder", "shared_embedder"),
        "retrieval.exemplars": ("ExemplarGame", "load_exemplars"),
        "retrieval.store": ("ExemplarStore", "RetrievalConstraints"),
    },
)
