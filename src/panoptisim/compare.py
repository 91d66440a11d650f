"""Compare two scenarios: the paired difference B - A of every headline result.

Both scenarios run with the same root seed and the same number of replicates, so
replicate r of A and of B are built from the same society and draw the same random
numbers wherever their rules agree (common random numbers: Glasserman & Yao 1992,
*Management Science* 38(6):884-908): the difference of a replicate is the policy's effect,
with most of the seed noise cancelled.
For each headline result (the effect, treated - control, with a control arm, else the
treated value; ``panoptisim.replicates``), with ``a_r`` and ``b_r`` its values in
replicate r: the means of A and B, the mean difference, and the two-sided 95% t interval
of the mean of the paired differences ``b_r - a_r`` over the replicates.

Under a posterior (``posterior``: a calibration folder), K parameter sets are resampled
by weight from it; draw k runs A and B with those parameters and a seed of its own,
shared by A and B, and the difference gets, as ``run --posterior`` gives a result, an
interval over the draws' mean differences (parameters and seeds) beside the seed-only one
(``calibration.posterior_runs.result_entry``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from panoptisim.api import run as run_api
from panoptisim.calibration.posterior import read_posterior, resample, spawned_seeds
from panoptisim.calibration.posterior_runs import result_entry
from panoptisim.errors import InputError
from panoptisim.intervals import clean, t_interval
from panoptisim.io import check_new_folder, folder_atomic, write_json_atomic
from panoptisim.replicates import (
    aggregate_label,
    folder_columns,
    replicate_values,
    values_of_runs,
)
from panoptisim.scenario import Scenario, builtin_names, load_scenario


@dataclass
class Comparison:
    """A finished comparison: ``doc`` (comparison.json), ``replicates`` (one row per
    metric, draw and replicate: ``a``, ``b``, ``difference``) and its folder, if written."""

    doc: dict[str, Any]
    replicates: pd.DataFrame
    path: Path | None

    @property
    def table(self) -> pd.DataFrame:
        """One row per headline result: A, B, B - A and its 95% interval(s)."""
        rows = []
        for name, r in self.doc["results"].items():
            row = {"metric": name, "a": r["a"], "b": r["b"], "difference": r["difference"],
                   "ci95_low": r["ci95"][0], "ci95_high": r["ci95"][1],
                   "relative": r["relative"]}
            if "ci95_seed" in r:
                row["ci95_seed_low"], row["ci95_seed_high"] = r["ci95_seed"]
            rows.append(row)
        return pd.DataFrame(rows)

    def __repr__(self) -> str:
        d = self.doc
        return (f"Comparison({d['b']['name']} - {d['a']['name']}, {d['replicates']} "
                f"replicates{', ' + str(d['draws']) + ' posterior draws' if d['draws'] else ''}"
                f", {len(d['results'])} results{', at ' + str(self.path) if self.path else ''})")


def scenario_source(source: str | Path | Scenario) -> str | Path | Scenario:
    """A run folder stands for its resolved scenario (``scenario.toml``); anything else
    (a built-in name, a scenario file) is given to ``load_scenario`` as it is."""
    if isinstance(source, (str, Path)) and Path(source).is_dir():
        path = Path(source) / "scenario.toml"
        if path.is_file():
            return path
        if str(source) not in builtin_names():
            raise InputError(f"'{source}' is a folder but not a run folder: it has no "
                             "scenario.toml")
    return source


def finished_runs(a: str | Path | Scenario, b: str | Path | Scenario, *,
                  rerun: bool = False, **new_runs: Any) -> tuple[Path, Path] | None:
    """A and B's folders when both are finished run folders to be compared as they ran:
    neither ``rerun`` nor any argument in ``new_runs`` (replicates, seed, overrides,
    posterior) asks for new runs. None otherwise."""
    if rerun or any(v not in (None, {}) for v in new_runs.values()):
        return None
    folders = [Path(x) for x in (a, b) if isinstance(x, (str, Path))]
    if len(folders) == 2 and all((f / "scenario.toml").is_file()
                                 and (f / "metrics.parquet").is_file() for f in folders):
        return folders[0], folders[1]
    return None


def finished_scenarios(folders: tuple[Path, Path]) -> tuple[Scenario, Scenario]:
    """The scenarios two finished runs ran, when their replicates pair (the same root seed
    and number of replicates, at least 2, both with or both without a control arm); else
    InputError (one line) saying why and that ``--rerun`` runs both again paired."""
    sa, sb = (load_scenario(f / "scenario.toml") for f in folders)
    a, b = sa.run, sb.run
    why = ("seeds" if a.seed != b.seed else "numbers of replicates"
           if a.replicates != b.replicates else "control arms" if a.control != b.control
           else None)
    if why is not None:
        raise InputError(f"run folders '{folders[0]}' and '{folders[1]}' differ in their "
                         f"{why}, so their replicates do not pair: give --rerun to run both "
                         "scenarios again on common random numbers")
    if a.replicates < 2:
        raise InputError(f"run folders '{folders[0]}' and '{folders[1]}' have 1 replicate: "
                         "a paired interval needs at least 2 (give --rerun --replicates N)")
    return sa, sb


def paired_scenarios(a: str | Path | Scenario, b: str | Path | Scenario, *,
                     replicates: int, seed: int | None,
                     overrides: dict[str, Any] | None) -> tuple[Scenario, Scenario]:
    """A and B with ``overrides``, ``replicates`` replicates and one root seed (``seed``,
    else A's); ScenarioError (one line) before anything runs."""
    if replicates < 2:
        raise InputError(f"--replicates = {replicates} is not allowed: a paired interval "
                         "needs at least 2 replicates")
    common = {**(overrides or {}), "run.replicates": replicates}
    first = load_scenario(scenario_source(a), common, seed=seed)
    root = first.run.seed
    second = load_scenario(scenario_source(b), common, seed=root)
    return first, second


def difference_entry(name: str, pairs: list[tuple[np.ndarray, np.ndarray]],
                     under_posterior: bool) -> dict[str, Any]:
    """One headline result of a comparison from its ``(a, b)`` values per replicate, one
    pair a draw: the means of A and B, the mean paired difference B - A with its 95%
    interval (paired t over the replicates; under a posterior, the draws' percentiles with
    the seed-only interval and the parameters' share: ``posterior_runs.result_entry``), and
    the difference relative to A's mean (None when A's mean is 0)."""
    a = np.concatenate([p[0] for p in pairs])
    b = np.concatenate([p[1] for p in pairs])
    diffs = np.array([y - x for x, y in pairs])  # draws x replicates
    entry: dict[str, Any] = {"aggregate": aggregate_label(name), "a": clean(float(a.mean())),
                             "b": clean(float(b.mean()))}
    if under_posterior:
        e = result_entry(diffs, None)
        entry.update(difference=e["mean"], ci95=e["ci95_posterior"], ci95_seed=e["ci95_seed"],
                     parameter_share=e["parameter_share"],
                     method=f"2.5-97.5 percentiles of {len(pairs)} posterior draws' mean "
                            f"paired differences over {diffs.shape[1]} replicates each")
    else:
        d = diffs.ravel()
        low, high = t_interval(float(d.mean()), float(d.std(ddof=1)), len(d))
        entry.update(difference=clean(float(d.mean())), ci95=[clean(low), clean(high)],
                     method=f"paired t over {len(d)} replicates (common random numbers)")
    base = float(a.mean())
    entry["relative"] = clean(entry["difference"] / abs(base)) if base else None
    return entry


#: Replicates of each scenario when A and B are run (not read from finished runs).
DEFAULT_REPLICATES = 5


def resolve_pair(a: str | Path | Scenario, b: str | Path | Scenario, *, rerun: bool,
                 replicates: int | None, seed: int | None, overrides: dict[str, Any],
                 posterior: str | Path | None
                 ) -> tuple[tuple[Path, Path] | None, Scenario, Scenario]:
    """A and B's finished run folders (None when they are to be run) and the two scenarios
    to compare: as the folders ran, or paired by seed with ``replicates`` (5 by default)."""
    folders = finished_runs(a, b, rerun=rerun, replicates=replicates, seed=seed,
                            overrides=overrides, posterior=posterior)
    if folders is not None:
        return folders, *finished_scenarios(folders)
    return None, *paired_scenarios(a, b, replicates=replicates or DEFAULT_REPLICATES,
                                   seed=seed, overrides=overrides)


def compare(a: str | Path | Scenario, b: str | Path | Scenario, *,
            replicates: int | None = None, seed: int | None = None,
            overrides: dict[str, Any] | None = None, out: str | Path | None = None,
            posterior: str | Path | None = None, draws: int = 20, progress: Any = None,
            rerun: bool = False) -> Comparison:
    """Run A and B paired (same seed, ``replicates`` replicates, 5 by default) and return
    B - A of every headline result with its 95% interval; with ``posterior``, under
    ``draws`` posterior draws. With ``out``, the folder holds ``comparison.json``,
    ``replicates.parquet`` and the run folders (``a``, ``b``; under a posterior
    ``draws/dNNN/a`` and ``.../b``).

    Two finished run folders are compared as they ran, from their metrics.parquet, without
    running anything (:func:`finished_runs`), when their replicates pair; ``rerun`` (or
    any of ``replicates``, ``seed``, ``overrides``, ``posterior``) runs their scenarios
    again instead. Bad input raises InputError or ScenarioError (one line) before anything
    runs."""
    folders, sa, sb = resolve_pair(a, b, rerun=rerun, replicates=replicates, seed=seed,
                                   overrides=overrides or {}, posterior=posterior)
    replicates = sa.run.replicates
    root = sa.run.seed
    sets: list[dict[str, float]] = []
    pairs = [(sa, sb)]
    if posterior is not None:
        params, weights = read_posterior(Path(posterior))
        taken = sorted(set(params) & set(overrides or {}))
        if taken:
            raise InputError(f"--set {taken[0]} is calibrated by --posterior '{posterior}': "
                             "the posterior sets it; remove it from --set")
        sets = resample(params, weights, draws, root, "compare.posterior_draws")
        seeds = spawned_seeds(root, "compare.posterior_seeds", draws)
        pairs = [(load_scenario(sa, dict(p), seed=s), load_scenario(sb, dict(p), seed=s))
                 for p, s in zip(sets, seeds, strict=True)]  # all validated before a run
    if out is not None:
        check_new_folder(Path(out))

    def execute(folder: Path | None) -> tuple[dict[str, Any], pd.DataFrame]:
        values: dict[str, list[tuple[np.ndarray, np.ndarray]]] = {}
        rows = []
        for k, (ra, rb) in enumerate(pairs):
            where = folder if folder is None or posterior is None else \
                folder / "draws" / f"d{k:03d}"
            if folders is not None:  # finished runs: read, not run
                va, vb = (values_of_runs(folder_columns(f), s.population.size)
                          for f, s in zip(folders, (ra, rb), strict=True))
            else:
                va = replicate_values(run_api(ra, out=where and where / "a").simulation)
                vb = replicate_values(run_api(rb, out=where and where / "b").simulation)
            for name in (n for n in va if n in vb):  # headline order
                x, y = np.array(va[name][0]), np.array(vb[name][0])
                values.setdefault(name, []).append((x, y))
                rows += [{"metric": name, "draw": k, "replicate": r, "a": float(x[r]),
                          "b": float(y[r]), "difference": float(y[r] - x[r])}
                         for r in range(len(x))]
            if progress is not None:
                progress(k + 1, len(pairs))
        doc = {"a": {"name": sa.name, "digest": sa.digest()},
               "b": {"name": sb.name, "digest": sb.digest()},
               "run_folders": None if folders is None else [str(f.resolve()) for f in folders],
               "seed": root, "replicates": replicates, "draws": len(sets),
               "posterior": None if posterior is None else str(Path(posterior).resolve()),
               "parameters": sets, "overrides": dict(overrides or {}),
               "population": sa.population.size, "steps": sa.run.steps,
               "control": sa.run.control,
               "results": {name: difference_entry(name, values[name], posterior is not None)
                           for name in va if name in values}}
        return json.loads(json.dumps(doc)), pd.DataFrame(rows)

    if out is None:
        doc, table = execute(None)
        return Comparison(doc, table, None)
    with folder_atomic(Path(out)) as tmp:
        doc, table = execute(tmp)
        write_json_atomic(tmp / "comparison.json", doc)
        pq.write_table(pa.Table.from_pandas(table, preserve_index=False),
                       tmp / "replicates.parquet")
    return Comparison(doc, table, Path(out))
