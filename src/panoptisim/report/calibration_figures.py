"""Figures of a calibration folder (``panoptisim calibrate``), drawn from its files: the
weighted posterior (``posterior.parquet``), the predictive draws (``predictive.parquet``),
the generations (``generations.parquet``) and the summaries of ``calibration.json``.

Each function takes plain data (data frames, the json's ``parameters`` or ``targets``
entries) and returns a matplotlib Figure in the project's style; nothing here reads files
or runs a simulation. A parameter is drawn on its prior's scale: logarithmic for a
log-uniform prior, linear for a uniform one.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from panoptisim.report.style import HEIGHT_IN, OKABE_ITO, WIDTH_IN, styled

#: Bins of a marginal histogram, equal on the prior's scale: the prior puts 1/BINS in each.
BINS = 20
POSTERIOR_COLOR = OKABE_ITO["blue"]
PRIOR_COLOR = OKABE_ITO["grey"]
PUBLISHED_COLOR = OKABE_ITO["black"]
MISFIT_COLOR = OKABE_ITO["vermillion"]
#: z of a two-sided 95% interval around a published value.
Z95 = 1.96

#: The figures of a calibration report, in order, with their captions.
CALIBRATION_FIGURES = (
    ("posterior_marginals",
     "Each calibrated parameter's posterior (the last generation's particles, weighted): "
     f"share of the posterior weight in each of {BINS} bins equal on the prior's scale, "
     f"against the prior (outlined: 1/{BINS} of its weight a bin, zero outside its range). "
     "Solid line: posterior median; shaded: 50% and 90% equal-tailed credible intervals. "
     "Units in the axis labels."),
    ("predictive_check",
     "Posterior predictive check: each target's statistic simulated under posterior draws "
     "(one dot a draw, line: their 90% band, tick: their median) against the published "
     "value and its ±1.96 se interval. The verdict is MISFIT when |z| > 2, z = (simulated "
     "mean − published) / sqrt(se² + simulated sd²). Values in the target's published "
     "units."),
    ("posterior_pairs",
     "Weighted particles of the last generation: each parameter's marginal (share of the "
     "posterior weight a bin) on the diagonal, each pair below it (dot area: the "
     "particle's weight); axes span the priors' ranges, in the parameters' units."),
    ("generations",
     "ABC-SMC per generation: the acceptance threshold ε (the distance to the targets, in "
     "published standard errors: sqrt of the sum over targets of ((simulated − published) / "
     "se)²) and the share of the generation's simulations accepted, with the stopping "
     "rules (dotted)."),
)


def calibration_caption(name: str, caption: str, doc: Mapping[str, Any], draws: int) -> str:
    """``caption`` and what the figure is drawn over: the last generation's particles,
    the posterior draws simulated for the predictive check, or the generations."""
    gens, particles = doc["generations"], doc["particles"]
    over = {
        "posterior_marginals": f"Over the {particles} particles of generation {gens} (the "
                               "last); intervals are weighted quantiles, not over seeds.",
        "predictive_check": f"Over {draws} draws from the posterior; the band is the "
                            "simulated values' 90% interval (calibration.json's "
                            "simulated_90).",
        "posterior_pairs": f"Over the {particles} particles of generation {gens} (the last); "
                           "no interval drawn.",
        "generations": f"Over the {gens} generation(s) of {particles} particles, "
                       f"{doc['simulations']:,} simulations in all; no interval drawn.",
    }.get(name, "")
    return f"{caption} {over}".strip()


def _log(prior: Mapping[str, Any]) -> bool:
    return prior.get("kind") == "log-uniform"


def _edges(prior: Mapping[str, Any], n: int = BINS) -> np.ndarray:
    lo, hi = float(prior["min"]), float(prior["max"])
    return np.geomspace(lo, hi, n + 1) if _log(prior) else np.linspace(lo, hi, n + 1)


def _padded(prior: Mapping[str, Any], pad: float = 0.04) -> tuple[float, float]:
    """The prior's range widened by ``pad`` of its width on its scale (edges visible)."""
    lo, hi = float(prior["min"]), float(prior["max"])
    if _log(prior):
        span = np.log10(hi / lo) * pad
        return lo / 10 ** span, hi * 10 ** span
    span = (hi - lo) * pad
    return lo - span, hi + span


def axis_label(key: str, unit: str | None) -> str:
    """A parameter's axis label: its key and unit."""
    return f"{key}\n({unit})" if unit and unit != "-" else f"{key}\n(no unit)"


def weight_shares(values: np.ndarray, weights: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Share of the (normalised) weights whose values fall in each bin of ``edges``."""
    w = np.asarray(weights, float)
    counts, _ = np.histogram(np.asarray(values, float), bins=edges, weights=w / w.sum())
    return counts


def _marginal(ax: Any, values: np.ndarray, weights: np.ndarray, summary: Mapping[str, Any],
              legend: bool) -> None:
    prior = summary["prior"]
    edges = _edges(prior)
    if _log(prior):
        ax.set_xscale("log")
    shares = weight_shares(values, weights, edges)
    ax.stairs(shares, edges, fill=True, color=POSTERIOR_COLOR, alpha=0.55,
              label="posterior (weighted particles)")
    lo, hi = _padded(prior)
    ax.stairs([0.0, 1.0 / BINS, 0.0], [lo, prior["min"], prior["max"], hi], color=PRIOR_COLOR,
              linewidth=1.2, linestyle="--", label=f"prior ({prior['kind']}): 1/{BINS} a bin")
    ax.axvspan(*summary["ci90"], color=POSTERIOR_COLOR, alpha=0.10, linewidth=0,
               label="90% credible interval")
    ax.axvspan(*summary["ci50"], color=POSTERIOR_COLOR, alpha=0.18, linewidth=0,
               label="50% credible interval")
    ax.axvline(summary["median"], color=PUBLISHED_COLOR, linewidth=1.2, label="median")
    ax.set_xlim(lo, hi)
    ax.set_ylim(0, max(float(shares.max()), 1.0 / BINS) * 1.15)
    if legend:
        ax.legend(loc="upper left", fontsize=6)


def posterior_marginals(posterior: pd.DataFrame, parameters: Mapping[str, Mapping[str, Any]]
                        ) -> Figure:
    """One panel per parameter: its weighted posterior against its prior, with the median
    and the 50% and 90% credible intervals of ``calibration.json``."""
    keys = list(parameters)
    ncols = min(len(keys), 3)
    nrows = -(-len(keys) // ncols)
    weights = posterior["weight"].to_numpy(float)
    with styled():
        fig = Figure(figsize=(2.9 * ncols + 0.4, 2.8 * nrows + 0.4),
                     layout="constrained")
        axes = fig.subplots(nrows, ncols, squeeze=False)
        for i, key in enumerate(keys):
            ax = axes[i // ncols][i % ncols]
            p = parameters[key]
            _marginal(ax, posterior[key].to_numpy(float), weights, p, legend=i == 0)
            ax.set_xlabel(axis_label(key, p.get("unit")))
            ax.set_ylabel("share of posterior weight\n(per bin)")
            verdict = "constrained" if p.get("constrained") else "unconstrained"
            ax.set_title(f"{key.rsplit('.', 1)[-1]}\n{verdict}: 90% interval "
                         f"{p.get('width_vs_prior', float('nan')):.0%} of the prior's",
                         fontsize=8)
        for j in range(len(keys), nrows * ncols):
            axes[j // ncols][j % ncols].set_axis_off()
        fig.suptitle("Posterior marginals against the priors", fontsize=10)
    return fig


#: How a target's ``arm`` combines the arms, in a figure's label.
ARM_WORDS = {"difference": "treated − control", "ratio": "treated / control",
             "relative": "treated / control − 1"}


def describe_target(spec: Mapping[str, Any] | None) -> str:
    """The statistic a target measures, in words, from its ``[[target]]`` table (an empty
    string without one): metric, arm, window, aggregate, denominator (a ratio, or with
    ``change = true`` the relative change from it), scaling."""
    if not spec:
        return ""

    def stat(s: Mapping[str, Any]) -> str:
        if s.get("summary"):
            return f"{s['summary']} (whole run)"
        arm = s.get("arm", "treated")
        text = f"{s.get('metric')}, {ARM_WORDS.get(arm, arm)}"
        days = s.get("days")
        text += f", days {days[0]}–{days[1]}" if days else ", all days"
        return text + (f", {s['aggregate']}" if s.get("aggregate") else "")

    text = stat(spec)
    if spec.get("denominator"):
        text = f"({text}) / ({stat(spec['denominator'])})"
        if spec.get("change"):
            text += " − 1"
    if spec.get("per"):
        text += f", per {spec['per']:g} people"
    if spec.get("times", 1.0) != 1.0:
        text += f", × {spec['times']:g}"
    return text


def _jitter(n: int) -> np.ndarray:
    """Fixed vertical offsets for ``n`` dots (no random draw: the figure is reproducible)."""
    return np.zeros(n) if n < 2 else np.linspace(-0.12, 0.12, n)


def predictive_check(predictive: pd.DataFrame, targets: Mapping[str, Mapping[str, Any]],
                     described: Mapping[str, str] | None = None) -> Figure:
    """One panel per target: the simulated values of the posterior draws (column
    ``target:<name>`` of ``predictive``) with their median and 90% band, against the
    published value ± 1.96 se; the verdict and z in the panel's title."""
    names = list(targets)
    described = described or {}
    with styled():
        fig = Figure(figsize=(WIDTH_IN, 1.55 * len(names) + 0.5), layout="constrained")
        axes = fig.subplots(len(names), 1, squeeze=False)[:, 0]
        for ax, name in zip(axes, names):
            t = targets[name]
            sim = predictive[f"target:{name}"].to_numpy(float)
            lo, hi = t["simulated_90"]
            ax.plot(sim, 1 + _jitter(len(sim)), "o", color=POSTERIOR_COLOR, markersize=3.5,
                    alpha=0.7, label=f"simulated ({len(sim)} posterior draws)")
            ax.hlines(1, lo, hi, color=POSTERIOR_COLOR, linewidth=2.5,
                      label="simulated 90% band")
            ax.plot([t["simulated_median"]], [1], "|", color=PUBLISHED_COLOR, markersize=12,
                    markeredgewidth=1.5, label="simulated median")
            ax.errorbar([t["published"]], [0], xerr=[[Z95 * t["se"]], [Z95 * t["se"]]],
                        fmt="D", color=PUBLISHED_COLOR, markersize=5, capsize=4,
                        elinewidth=1.2, label="published ± 1.96 se")
            ax.set_yticks([0, 1], ["published", "simulated"])
            ax.set_ylim(-0.6, 1.6)
            misfit = t["verdict"] != "fits"
            ax.set_title(f"{name}: {'MISFIT' if misfit else 'fits'} (z = {t['z']:+.2f})",
                         fontsize=9, loc="left", color=MISFIT_COLOR if misfit else "black",
                         fontweight="bold" if misfit else "normal")
            what = described.get(name)
            ax.set_xlabel((f"{what}\n" if what else "")
                          + "(value in the target's published units)", fontsize=7)
            ax.margins(x=0.08)
        axes[0].legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=6)
        fig.suptitle("Posterior predictive check", fontsize=10)
    return fig


def posterior_pairs(posterior: pd.DataFrame, parameters: Mapping[str, Mapping[str, Any]]
                    ) -> Figure:
    """The pairs plot of the weighted particles: marginals on the diagonal, each pair below
    (``calibrate`` writes it as the folder's pairs.png; the report draws it again from the
    folder's files)."""
    keys = list(parameters)
    k = len(keys)
    w = posterior["weight"].to_numpy(float)
    w = w / w.sum()
    with styled():
        fig = Figure(figsize=(2.2 * k + 1.0, 2.2 * k + 0.6), layout="constrained")
        axes = fig.subplots(k, k, squeeze=False)
        for i, ki in enumerate(keys):
            pi = parameters[ki]["prior"]
            for j, kj in enumerate(keys):
                ax = axes[i][j]
                if j > i:
                    ax.set_axis_off()
                    continue
                pj = parameters[kj]["prior"]
                x = posterior[kj].to_numpy(float)
                if _log(pj):
                    ax.set_xscale("log")
                ax.set_xlim(pj["min"], pj["max"])
                if i == j:
                    edges = _edges(pj)
                    ax.stairs(weight_shares(x, w, edges), edges, fill=True,
                              color=POSTERIOR_COLOR)
                    if j == 0:
                        ax.set_ylabel("share of posterior\nweight (per bin)", fontsize=7)
                else:
                    if _log(pi):
                        ax.set_yscale("log")
                    ax.set_ylim(pi["min"], pi["max"])
                    ax.scatter(x, posterior[ki].to_numpy(float), s=4 + 60 * w / w.max(),
                               color=OKABE_ITO["vermillion"], alpha=0.5, linewidths=0)
                    if j == 0:
                        ax.set_ylabel(axis_label(ki, parameters[ki].get("unit")), fontsize=7)
                if i == k - 1:
                    ax.set_xlabel(axis_label(kj, parameters[kj].get("unit")), fontsize=7)
        fig.suptitle("Posterior pairs (last generation, weighted particles)", fontsize=9)
    return fig


def generations(table: pd.DataFrame, min_epsilon: float | None = None,
                min_acceptance: float | None = None) -> Figure:
    """The threshold ε and the acceptance share of each generation, with the stopping
    rules ``min_epsilon`` and ``min_acceptance`` when given."""
    gen = table["generation"].to_numpy(int)
    eps = table["epsilon"].to_numpy(float)
    acc = table["acceptance"].to_numpy(float)
    with styled():
        fig = Figure(figsize=(WIDTH_IN, HEIGHT_IN), layout="constrained")
        ax, ax2 = fig.subplots(1, 2)
        ax.plot(gen, eps, "o-", color=POSTERIOR_COLOR, label="threshold ε")
        if len(eps) and np.all(eps > 0) and eps.max() / eps.min() > 10:
            ax.set_yscale("log")
        if min_epsilon is not None and min_epsilon > 0:
            ax.axhline(min_epsilon, color=PRIOR_COLOR, linestyle=":",
                       label=f"min_epsilon = {min_epsilon:g}")
        ax.set_xlabel("generation")
        ax.set_ylabel("threshold ε\n(distance, published standard errors)")
        ax.set_title("Acceptance threshold")
        ax.legend(loc="best")
        ax2.bar(gen, acc, color=POSTERIOR_COLOR, width=0.6, label="accepted / simulated")
        for g, a, n, s in zip(gen, acc, table["accepted"], table["simulations"]):
            ax2.annotate(f"{int(n)}/{int(s)}", (g, a), ha="center", va="bottom", fontsize=7,
                         xytext=(0, 2), textcoords="offset points")
        if min_acceptance is not None:
            ax2.axhline(min_acceptance, color=PRIOR_COLOR, linestyle=":",
                        label=f"min_acceptance = {min_acceptance:g}")
        ax2.set_ylim(0, 1.1)
        ax2.set_xlabel("generation")
        ax2.set_ylabel("acceptance\n(share of the generation's simulations)")
        ax2.set_title("Acceptance")
        ax2.legend(loc="upper right")
        for a in (ax, ax2):
            a.set_xticks(gen)
    return fig


__all__ = ["CALIBRATION_FIGURES", "calibration_caption", "posterior_marginals",
           "predictive_check", "posterior_pairs", "generations", "describe_target", "weight_shares",
           "axis_label", "ARM_WORDS"]
