"""Synthetic reference data: known potentials (Lennard-Jones, Sutton-Chen) in symff's form and data sets made with them.

``symff rediscover`` labels structures with one of these calculators, searches, and checks that the known formula comes
back; the tests use the calculators as an independent implementation to compare symff's evaluator against.
"""

from symff.synthetic.calculators import LennardJonesCutoff, SuttonChenCutoff
from symff.synthetic.generate import make_lj_dataset, make_sutton_chen_dataset, minimum_distance

__all__ = [
    "LennardJonesCutoff",
    "SuttonChenCutoff",
    "make_lj_dataset",
    "make_sutton_chen_dataset",
    "minimum_distance",
]
