"""The Pareto archive: the best candidate seen at each complexity, kept across generations.

The front is the archive's non-dominated subset, with a margin for numerical noise: going up in complexity, each
member's loss is lower than every simpler member's by more than FRONT_GAIN of it and by more than FRONT_NOISE.

Relative: two fits of one form from different starts, or of the form with a term added that the data do not need,
land within ~1e-6 of each other; without the margin a front ended in copies of its best form bloated with useless
terms, each "better" by 1e-7 to 1e-5. A relative gain of 1e-4 (0.01 %) is still below what the errors a user reads
show (4 significant digits at most).
Absolute: the loss (symff.fit.loss: 1 is about 1 meV/atom and 0.01 eV/Å) of an exact form on exact synthetic data
is the error of the evaluation's interpolation on its r grid, about 1e-10 (measured: Lennard-Jones rediscovery data,
the exact form at 1.02e-10, bloated copies down to 9.8e-11); 1e-9 (energy errors of 3e-5 meV/atom, force errors of
3e-7 eV/Å) is far below what any reference data resolve, and above that floor.

At one complexity the archive keeps the candidate first in `rank`: losses in the same FRONT_NOISE-wide bucket count
as equal, and then the form with fewer fitted constants comes first. On exact Lennard-Jones data a0 NS(r**-12) +
a1 NS(r**c0) fitted to c0 = -6.0000001 is as complex as the exact form and lower by 3e-16; without the rule it took
the exact form's place (rediscovery, seed 3). A key, not a pairwise "better by more than noise", so that the order
is total and the archive does not depend on the order in which candidates arrive (a search resumed from its
checkpoint keeps the same front).
"""

import math

FRONT_GAIN = 1e-4  # the relative loss gain a member must make over every simpler member
FRONT_NOISE = 1e-9  # the absolute loss gain it must make: below, it is the evaluation's interpolation error


class ParetoArchive:
    def __init__(self):
        self.best = {}  # complexity -> Candidate

    def update(self, candidates):
        for c in candidates:
            if c is None or not c.full:
                continue
            held = self.best.get(c.complexity)
            if held is None or rank(c) < rank(held):
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


def rank(candidate):
    """The archive's order among candidates of one complexity (lowest first): loss bucket, fitted constants, loss,
    canonical key."""
    loss = candidate.loss
    bucket = math.floor(loss / FRONT_NOISE) if math.isfinite(loss) else math.inf
    return bucket, len(candidate.formula.constants), loss, candidate.key


def beats(loss, simpler_loss):
    """Whether `loss` is progress over `simpler_loss`, the lowest loss of the simpler members: lower by more than
    numerical noise."""
    return loss < simpler_loss * (1 - FRONT_GAIN) - FRONT_NOISE
