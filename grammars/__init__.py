"""Grammar files shipped with symff (installed as the package `symff.grammars`); see docs/grammar.md."""
