"""Convergence over generations, from RUN/history.jsonl: the best loss, the front, and the search's throughput."""

from .figures import new_figure


def convergence_figure(history):
    figure, (loss_ax, rate_ax) = new_figure(10, 4, ncols=2)
    generation = [h["generation"] for h in history]
    loss_ax.plot(generation, [h["best_loss"] for h in history], "o-", ms=3, label="best loss")
    sizes = loss_ax.twinx()
    sizes.plot(generation, [len(h["front"]) for h in history], "s--", ms=3, color="C1", label="front size")
    sizes.set_ylabel("front members")
    loss_ax.set(yscale="log", xlabel="generation", ylabel="best loss", title="convergence")
    loss_ax.legend(loc="upper right", fontsize=8)
    rate_ax.plot(generation, [h["candidates_per_s"] for h in history], "o-", ms=3, label="candidates/s")
    hits = rate_ax.twinx()
    hits.plot(generation, [100 * h["cache_hit_rate"] for h in history], "s--", ms=3, color="C1")
    hits.set(ylabel="cache hit rate (%)", ylim=(0, 100))
    rate_ax.set(xlabel="generation", ylabel="candidates per second", title="throughput and cache hits (dashed)")
    return figure
