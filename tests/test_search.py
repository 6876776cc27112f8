"""The search: a CI-sized Lennard-Jones rediscovery, reproducibility, the archive, and settings checks."""

import itertools
from dataclasses import replace
from types import SimpleNamespace

import pytest
import sympy as sp

from symff.data import Dataset
from symff.errors import ConfigError
from symff.rediscover import LJ_EPSILON, LJ_SIGMA, lennard_jones_recovery
from symff.search.archive import FRONT_GAIN, FRONT_NOISE, ParetoArchive
from symff.search.config import SearchConfig
from symff.search.engine import Individual, Search, run_search
from symff.search.results import front_models
from symff.search.scoring import simple_number
from symff.synthetic.generate import make_lj_dataset


@pytest.fixture(scope="module")
def lj_data():
    return Dataset.from_atoms(make_lj_dataset(seed=3, epsilon=LJ_EPSILON, sigma=LJ_SIGMA))


def small_config(seed, **kw):
    return SearchConfig(**({"grammar": "pair", "population": 100, "generations": 40, "seed": seed,
                            "target_loss": 1e-8} | kw))


def test_small_lennard_jones_search_recovers_the_potential(lj_data):
    result = run_search(small_config(seed=1), lj_data)
    models = front_models(result, lj_data)
    recovery = lennard_jones_recovery(models, LJ_EPSILON, LJ_SIGMA)
    assert recovery.recovered, (recovery.summary(), [m.energy_string(6) for m in models])
    assert max(recovery.relative_error.values()) < 1e-4
    assert result.stop_reason == "target loss reached"
    # the front is a front: complexity up, loss strictly down, and the true form is its last, most accurate member
    complexities = [c.complexity for c in result.front]
    losses = [c.loss for c in result.front]
    assert complexities == sorted(set(complexities))
    assert all(a > b for a, b in itertools.pairwise(losses))
    # deduplication and the cache did their work
    assert result.stats["cache_hits"] > 0 and result.stats["distinct_forms"] < result.stats["trees"]


def test_same_seed_same_front(lj_data):
    config = small_config(seed=5, generations=3, target_loss=None)
    first, second = run_search(config, lj_data), run_search(config, lj_data)
    assert [c.formula.key for c in first.front] == [c.formula.key for c in second.front]
    assert [c.loss for c in first.front] == [c.loss for c in second.front]


def test_time_limit_stops_the_search(lj_data):
    result = run_search(small_config(seed=1, generations=1000, target_loss=None, time_limit=1.0), lj_data)
    assert result.stop_reason == "time limit" and result.generations < 1000


def test_interrupt_ends_the_search_with_the_front_so_far(lj_data, monkeypatch):

    score = Search._score

    def interrupted_in_generation_2(self, individuals, generation):
        if generation == 2:
            raise KeyboardInterrupt
        return score(self, individuals, generation)

    monkeypatch.setattr(Search, "_score", interrupted_in_generation_2)
    result = run_search(small_config(seed=1, generations=10, target_loss=None), lj_data)
    assert result.stop_reason == "interrupted" and result.generations == 1 and result.front


def test_archive_keeps_the_best_per_complexity_and_only_full_fits():
    def cand(complexity, loss, full=True):
        return SimpleNamespace(complexity=complexity, loss=loss, full=full, formula=SimpleNamespace(constants=()),
                               key=f"{complexity}:{loss}")

    archive = ParetoArchive()
    archive.update([cand(5, 1.0), cand(5, 0.5), cand(7, 0.7), cand(9, 0.1), cand(3, 0.01, full=False), None])
    assert [(c.complexity, c.loss) for c in archive.front()] == [(5, 0.5), (9, 0.1)]
    assert archive.best_loss_up_to(8) == 0.5 and archive.best_loss() == 0.1


@pytest.mark.parametrize("settings, message", [
    ({"r_in": 5.0, "r_out": 3.0}, "0 < r_in < r_out"),
    ({"population": 2}, "--population"),
    ({"time_limit": -1}, "--time-limit"),
    ({"force_weight": -1.0}, "--force-weight"),
    ({"variation": {"teleport": 1.0}}, "unknown variation"),
])
def test_bad_settings_are_refused(settings, message):
    with pytest.raises(ConfigError, match=message):
        SearchConfig(**settings)


def test_a_cached_simplification_keeps_its_own_formula_and_fit(lj_data):
    """A fit's own cache maps a form's key to its *simplified* candidate; reusing that entry must take its formula
    with its fit (pairing the unsimplified formula with the simpler fit once crashed a Sutton–Chen run)."""
    import numpy as np

    from symff.fit.constants import Fit
    from symff.model import parse_formula
    from symff.search.scoring import Candidate, FormFitter

    search = Search(small_config(seed=1), lj_data)
    scorer = FormFitter(search.stages.full(search.config))
    lj, _ = parse_formula("NS(A*r**-12 + B*r**-6)")
    lj_candidate = Candidate(lj, Fit(np.array([]), np.array([21837.6, -133.7]), np.zeros(1), 1e-20, 1))
    # D fitted next to -7 snaps to the form below, which the scorer had already simplified to Lennard-Jones
    general, _ = parse_formula("NS(A*r**-12 + B*r**C + F*r**D)")
    snapped_form, _ = parse_formula("NS(A*r**-12 + B*r**C + F*r**-7)")
    scorer.cache[snapped_form.key] = lj_candidate
    order = {str(c): k for k, c in enumerate(general.constants)}
    constants = np.zeros(2)
    constants[order["c0"]], constants[order["c1"]] = -6.3, -7.0000000001
    fit = Fit(constants, np.array([21837.6, -133.7, 1e-3]), np.zeros(1), 1e-10, 1)
    snapped = scorer._snapped(Candidate(general, fit))
    assert len(snapped.formula.constants) == len(snapped.fit.constants)
    assert snapped is lj_candidate or snapped.formula.key == lj.key


def test_a_front_member_beats_every_simpler_one_by_more_than_numerical_noise():
    def cand(complexity, loss):
        return SimpleNamespace(complexity=complexity, loss=loss, full=True, formula=SimpleNamespace(constants=()),
                               key=f"{complexity}:{loss}")

    archive = ParetoArchive()
    # 7 and 9: copies of 5 better by 1e-6 and by 0.9 x FRONT_GAIN (noise); 11 by 2 x FRONT_GAIN; 13 by a 1e-13 loss
    archive.update([cand(5, 2.0), cand(7, 2.0 * (1 - 1e-6)), cand(9, 2.0 * (1 - 0.9 * FRONT_GAIN)),
                    cand(11, 2.0 * (1 - 2 * FRONT_GAIN)), cand(13, 1e-2)])
    assert [c.complexity for c in archive.front()] == [5, 11, 13]
    exact = ParetoArchive()  # an exact fit of synthetic data at the interpolation floor: what follows it is noise
    exact.update([cand(6, 5e-9), cand(8, 1.02e-10), cand(12, 1.0e-10), cand(16, 9.8e-11)])
    assert [c.complexity for c in exact.front()] == [6, 8]


def test_at_one_complexity_fewer_fitted_constants_win_within_numerical_noise_in_any_order():
    import itertools

    def cand(loss, constants, key):
        return SimpleNamespace(complexity=13, loss=loss, full=True, formula=SimpleNamespace(constants=constants),
                               key=key)

    # LJ rediscovery, seed 3: a0 NS(r**-12) + a1 NS(r**c0) at c0 = -6.0000001 against the exact a0 NS(r**-12) +
    # a1 NS(r**-6), as complex (13 nodes) and higher by 3e-16: the exact form holds the place
    fitted, exact = cand(3.742508e-14, ("c0",), "fitted"), cand(3.773857e-14, (), "exact")
    # near-equal candidates with a chain of small differences (a ≈ b ≈ c, a !≈ c: a pairwise rule depends on the order)
    chain = [cand(FRONT_NOISE * (0.7 + 0.6 * k), ("c0",) * (2 - k), f"chain{k}") for k in range(3)]
    for candidates in ([fitted, exact], chain, chain + [fitted, exact]):
        fronts = set()
        for order in itertools.permutations(candidates):
            archive = ParetoArchive()
            for c in order:  # one at a time: as generations and resumed searches deliver them
                archive.update([c])
            fronts.add(archive.best[13].key)
        assert len(fronts) == 1, fronts
    archive = ParetoArchive()
    archive.update([fitted, exact])
    assert archive.front() == [exact]
    archive.update([cand(2e-3, ("c0", "c1"), "far")])
    assert archive.front() == [exact]
    archive = ParetoArchive()
    archive.update([cand(2e-3, (), "a"), cand(1e-3, ("c0",), "b")])
    assert archive.best[13].key == "b"  # more constants that pay for themselves take the place


def test_only_small_integers_and_halves_are_simple_numbers():
    assert simple_number(-6.0000001) == -6 and simple_number(0.4999) == sp.Rational(1, 2)
    assert simple_number(64.00001) == 64
    assert simple_number(65.0) is None and simple_number(3.2e8) is None  # large: no exact exponent of that size
    assert simple_number(1e308) is None and simple_number(float("inf")) is None  # whose double overflowed round()
    assert simple_number(2.3) is None


def test_the_sanity_tier_rejects_a_form_without_a_lone_atom_energy_before_it_is_fitted_on_all_the_data(lj_data):
    """POET's GP1 has 1/NS(c**r): infinite for a lone atom. With the tier it is screened, checked and rejected (no
    fit on all the data); without it, it is fitted and scored."""
    from symff.search.start_forms import CLASSICAL, seed_trees

    config = small_config(seed=1, grammar="eam", generations=0)
    gp1 = seed_trees([CLASSICAL[-1]], Search(config, lj_data).grammar)
    for sanity in (True, False):
        search = Search(replace(config, sanity=sanity), lj_data)
        [candidate], _ = search._score([Individual(gp1[0])], 0)
        stats = search.scorer.stats
        if sanity:
            assert candidate is None and stats.rejected == {"sanity_isolated_atom": 1}
            assert stats.screen_fits == 1 and stats.fits == 0
        else:
            assert candidate is not None and candidate.full and stats.fits == 1 and not stats.rejected


@pytest.mark.parametrize("two_phase", [True, False])
def test_forms_at_the_simple_end_skip_the_screen(lj_data, two_phase):
    """A limit no screened loss meets stops every screened form before its fit on all the data; a form at most
    screen_above_complexity complex (Morse, a0 NS(c0^r) + a1 NS(c1^r): 13) is not screened but fitted on all the data
    at once, and a more complex one (Gupta, a0 NS(c0^r) + a1 sqrt(NS(c1^r)): 15) is still screened and stopped. Both in
    a first generation (screens first) and later."""
    from symff.search.batch import Plan, score_plans
    from symff.search.start_forms import CLASSICAL, seed_trees

    grammar = Search(small_config(seed=1, grammar="eam"), lj_data).grammar
    forms = [form for form in CLASSICAL if form[0] in ("Morse", "Gupta")]
    trees = {name: tree for (name, _), tree in zip(forms, seed_trees(forms, grammar))}
    for above, fitted in ((14, {"Morse"}), (12, set())):
        for name, tree in trees.items():
            search = Search(small_config(seed=1, grammar="eam", screen_above_complexity=above), lj_data)
            plan = Plan(search.scorer, [Individual(tree)], 0, config=search.config, screens=True,
                        limit=lambda complexity, beside: 0.0, two_phase=two_phase)
            [[candidate]] = score_plans([plan], search.pool.run)
            stats = search.scorer.stats
            [(formula, _)] = plan.new.values()
            assert formula.constants and formula.complexity == {"Morse": 13, "Gupta": 15}[name]
            if name in fitted:
                assert candidate is not None and candidate.full, name
                assert (stats.screen_fits, stats.fits, stats.screened_out) == (0, 1, 0), name
            else:
                assert candidate is not None and not candidate.full, (name, above)
                assert (stats.screen_fits, stats.fits, stats.screened_out) == (1, 0, 1), (name, above)


def test_snapping_and_climbing_move_only_to_forms_the_fit_accepts(lj_data):
    """On exact LJ data a fit of NS(r**-11), NS(r**-6) climbs to r**-12; a fit that accepts no other form (as the
    sanity tier accepts no insane one) keeps the form it was asked for."""
    from symff.model import parse_formula
    from symff.search.scoring import fit_form
    from symff.search.stages import StageBuilder

    formula, _ = parse_formula("A*NS(r**-11) + B*NS(r**-6)")
    stage = StageBuilder(lj_data).full(small_config(seed=1))
    free = fit_form(formula, stage, "", 0, formula.initial).result
    kept = fit_form(formula, stage, "", 0, formula.initial, accept=lambda form, fit: False).result
    assert free.key == parse_formula("A*NS(r**-12) + B*NS(r**-6)")[0].key and free.loss < 1e-8
    assert kept.key == formula.key and kept.loss > 1e3 * free.loss


@pytest.mark.parametrize("grammar, exportable", [("pair", False), ("eam", True)])
def test_a_tree_whose_fit_climbed_becomes_the_tree_of_the_form_it_reached(lj_data, grammar, exportable):
    """On exact LJ data the fit of NS(r**-11), NS(r**-6) climbs to r**-12: the individual that enters the population
    is the tree of that form (of an exportable tree's grammar too), so that its offspring start where the climb
    ended; with `inherit_forms` off it stays the tree variation made."""
    from symff.expr.build import tree_to_sympy
    from symff.expr.canonical import canonicalize
    from symff.expr.to_tree import formula_to_tree
    from symff.model import parse_form

    for inherit in (True, False):
        search = Search(small_config(seed=1, population=4, inherit_forms=inherit, grammar=grammar,
                                     lammps_exportable=exportable), lj_data)
        search.first_population()
        expr, _ = parse_form("NS(r**-11 + r**-6)", "test")
        tree = formula_to_tree(expr, search.grammar)
        newcomers = [Individual(tree)]
        candidates, forms = search._score(newcomers, 0)
        search.settle(newcomers, candidates, forms, 0)
        [individual] = search.population
        [candidate] = candidates
        assert individual.candidate is candidate and candidate.loss < 1e-8
        assert forms[0] == canonicalize(*tree_to_sympy(tree)).key != candidate.key  # the fit climbed
        own = canonicalize(*tree_to_sympy(individual)).key
        assert own == (candidate.key if inherit else forms[0])
        assert (individual is newcomers[0]) and (str(individual) != str(tree)) == inherit


def test_an_inherited_tree_holds_the_fitted_constants_and_an_inexpressible_form_keeps_its_tree(lj_data):
    """The tree of the form a fit reached carries that fit's constants (its offspring's fits start from them); a
    form the grammar cannot write exactly (here r**-29: outside the pair grammar's integer range, and neither a
    power of a power nor a product of two powers in it, so it would come back as a fitted power) leaves the
    individual as it was."""
    import numpy as np

    from symff.expr.build import tree_to_sympy
    from symff.fit.constants import Fit
    from symff.model import parse_formula
    from symff.search.scoring import Candidate

    search = Search(small_config(seed=1, population=4), lj_data)
    formula, _ = parse_formula("A*NS(exp(-k*r)) + B*NS(r**-6)")
    fit = Fit(np.array([1.2345678901]), np.array([3.0, -2.0]), np.zeros(1), 1.0, 1)
    before = Individual(search.grammar.random_tree(search.rng))
    inherited = search._inherited(before, Candidate(formula, fit))
    _, values = tree_to_sympy(inherited)
    assert inherited is not before and list(values.values()) == [1.2345678901]
    far, _ = parse_formula("A*NS(r**-29) + B*NS(r**-6)")
    assert search._inherited(before, Candidate(far, Fit(np.array([]), np.array([3.0, -2.0]), np.zeros(1), 1.0, 1))) \
        is before


def test_with_inherit_constants_a_tree_whose_fit_stayed_at_its_form_takes_the_fitted_constants(lj_data):
    """`inherit_constants` (Lamarckian inheritance): a newcomer whose fit ends at its own form still becomes the tree
    of that form with the fitted values (here two decays fitted to LJ data, from 0.2 and 0.5), so that its offspring
    start from the fit; without it the tree stays the one variation made."""
    from symff.expr.build import tree_to_sympy
    from symff.expr.canonical import canonicalize
    from symff.expr.to_tree import formula_to_tree
    from symff.model import parse_form

    for inherit in (True, False):
        search = Search(small_config(seed=1, population=4, inherit_constants=inherit, grammar="pair",
                                     decay_neighbours=False), lj_data)
        search.first_population()
        expr, _ = parse_form("NS(0.2**r) - NS(0.5**r)", "test")
        drawn = Individual(formula_to_tree(expr, search.grammar))
        newcomers = [drawn]
        candidates, forms = search._score(newcomers, 0)
        search.settle(newcomers, candidates, forms, 0)
        [individual], [candidate] = search.population, candidates
        assert candidate.key == forms[0]  # the fit stayed at the form
        own = canonicalize(*tree_to_sympy(individual))
        assert own.key == candidate.key
        assert (individual is not drawn) == inherit
        # (canonical order of the two decays follows their values)
        held = sorted(candidate.fit.constants) if inherit else [0.2, 0.5]
        assert sorted(own.initial) == pytest.approx(held, rel=1e-9)
        assert sorted(candidate.fit.constants) != pytest.approx([0.2, 0.5], rel=1e-3)
