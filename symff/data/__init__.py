"""Reference data: structures with DFT energies, forces and stresses (``Dataset``), read from any file ASE reads and
split into training and test sets."""

from symff.data.dataset import Dataset
from symff.data.read import read_dataset
from symff.data.split import split_by_fraction, split_by_key

__all__ = ["Dataset", "read_dataset", "split_by_fraction", "split_by_key"]
