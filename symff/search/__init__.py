"""The search: configuration, scoring of candidates, the Pareto archive and the NSGA-II engine."""
