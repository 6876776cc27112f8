"""Discovered potentials shipped as model files (see docs/discovery.md for their provenance and errors)."""
