"""Evaluation over neighbour data: numba kernels, tabulated radial functions, energies, forces and stresses."""
