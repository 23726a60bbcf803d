"""Typed GraphQL input types; each validates itself and converts to a lake value."""
