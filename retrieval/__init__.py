"""Vector stores, embeddings and exemplar corpora that ground the agents."""
