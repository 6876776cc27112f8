"""Fitting: the weighted loss, its linear part, the nonlinear constants, and error metrics."""
