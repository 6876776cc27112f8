"""The Pareto archive: the best candidate seen at each complexity, kept across generations.

The front is the archive's non-dominated subset, with a margin for numerical noise: going up in complexity, each
member's loss is lower than every simpler member's by more than FRONT_GAIN of it (and by more than FRONT_NOISE).
A fit stops when its loss changes by about 1e-10 relatively (symff.fit.constants), and two fits of one form from
different starts, or of the same form with a term added that the data do not need, land within ~1e-6 of each other:
without the margin the front ends in copies of the best form bloated with useless terms, each "better" by 1e-7. A
relative gain of 1e-4 (0.01 %) is still far below what any error a user reads shows (4 significant digits at most).
"""

FRONT_GAIN = 1e-4  # the relative loss gain a member must make over every simpler member
FRONT_NOISE = 1e-12  # absolute: a loss this small is noise (loss 1 is about 1 meV/atom and 0.01 eV/Å)


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
            if beats(c.loss, best_loss):
                out.append(c)
                best_loss = c.loss
        return out

    def best_loss_up_to(self, complexity):
        """Lowest loss of any archived candidate at most this complex."""
        return min((c.loss for k, c in self.best.items() if k <= complexity), default=float("inf"))

    def best_loss(self):
        return min((c.loss for c in self.best.values()), default=float("inf"))


def beats(loss, simpler_loss):
    """Whether `loss` is progress over `simpler_loss`, the lowest loss of the simpler members: lower by more than
    numerical noise."""
    return loss < simpler_loss * (1 - FRONT_GAIN) - FRONT_NOISE
