"""The Pareto archive: the best candidate seen at each complexity, kept across generations.

The front is the archive's non-dominated subset: going up in complexity, each member has a strictly lower loss
than every simpler one.
"""


class ParetoArchive:
    def __init__(self):
        self.best = {}  # complexity -> Candidate

    def update(self, candidates):
        for c in candidates:
            if c is None or not c.full:
                continue
            held = self.best.get(c.complexity)
            if held is None or c.loss < held.loss:
                self.best[c.complexity] = c

    def front(self):
        out, best_loss = [], float("inf")
        for complexity in sorted(self.best):
            c = self.best[complexity]
            if c.loss < best_loss:
                out.append(c)
                best_loss = c.loss
        return out

    def best_loss_up_to(self, complexity):
        """Lowest loss of any archived candidate at most this complex."""
        return min((c.loss for k, c in self.best.items() if k <= complexity), default=float("inf"))

    def best_loss(self):
        return min((c.loss for c in self.best.values()), default=float("inf"))
