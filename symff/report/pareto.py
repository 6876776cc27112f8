"""The Pareto front: loss, and energy and force errors, against complexity."""

from .figures import new_figure


def pareto_figure(members):
    figure, (left, right) = new_figure(10, 4, ncols=2)
    complexity = [m["complexity"] for m in members]
    left.step(complexity, [m["loss"] for m in members], where="post", color="0.6")
    left.plot(complexity, [m["loss"] for m in members], "o", color="C0")
    for m in members:
        left.annotate(str(m["index"]), (m["complexity"], m["loss"]), textcoords="offset points", xytext=(4, 4),
                      fontsize=8)
    left.set(yscale="log", xlabel="complexity", ylabel="loss (training)", title="Pareto front")
    for split, marker in (("train", "o"), ("test", "s")):
        rows = [(m["complexity"], m["errors"][split]) for m in members if split in m.get("errors", {})]
        if not rows:
            continue
        c = [x for x, _ in rows]
        right.plot(c, [e["energy_mae_mev"] for _, e in rows], marker, ls="-", color="C0", label=f"energy, {split}")
        right.plot(c, [1000 * e["force_mae"] for _, e in rows], marker, ls="--", color="C1", label=f"force, {split}")
    right.set(yscale="log", xlabel="complexity", ylabel="MAE (energy meV/atom, force meV/Å)", title="errors of the front")
    right.legend(fontsize=8)
    return figure
