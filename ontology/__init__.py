"""Ontologies as Pydantic schemas, and the semantic validators that check instances of them."""
