"""The grammar: typed primitives read from grammar files (spec), and DEAP trees built from them (trees)."""
