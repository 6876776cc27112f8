"""Candidate formulas as sympy expressions: building them from trees, canonical forms, and compiled programs."""
