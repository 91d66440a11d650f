"""A calibration's posterior as data: its weighted parameter sets read from a calibration
folder (``posterior.parquet``, written by ``panoptisim calibrate``), parameter sets
resampled from it by weight, and a seed for each run made with them. Shared by the
predictive check, ``run --posterior`` and sweeps with ``sweep.posterior``; every draw and
seed comes from a named stream of a root seed (``panoptisim.streams``), so the same
posterior, seed and purpose give the same draws."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow.parquet as pq

from panoptisim.errors import InputError
from panoptisim.streams import Streams

#: Columns of posterior.parquet that are not parameters.
NOT_PARAMETERS = ("generation", "weight", "distance")


def read_posterior(folder: Path, where: str = "--posterior"
                   ) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """A calibration folder's last generation: parameters (arrays) and weights. InputError
    (one line, starting with ``where``: the option or key that named the folder) if the
    folder holds no readable posterior."""
    path = Path(folder) / "posterior.parquet"
    if not path.is_file():
        raise InputError(f"{where} '{folder}' is not a calibration folder (no "
                         "posterior.parquet): give a folder written by panoptisim calibrate")
    try:
        table = pq.read_table(path).to_pandas()
    except Exception as exc:  # a damaged or foreign file: say so in one line
        raise InputError(f"{where} '{folder}': posterior.parquet cannot be read "
                         f"({type(exc).__name__})") from None
    keys = [c for c in table.columns if c not in NOT_PARAMETERS]
    if "weight" not in table.columns or not keys or not len(table):
        raise InputError(f"{where} '{folder}': posterior.parquet holds no weighted "
                         "parameters")
    return {k: table[k].to_numpy(float) for k in keys}, table["weight"].to_numpy(float)


def resample(params: dict[str, np.ndarray], weights: np.ndarray, draws: int, seed: int,
             purpose: str) -> list[dict[str, float]]:
    """``draws`` parameter sets drawn from the weighted posterior (with replacement), with
    the stream ``purpose`` of root ``seed`` (``panoptisim.streams``)."""
    w = np.asarray(weights, float) / np.sum(weights)
    picks = Streams(seed).generator(purpose).choice(len(w), size=draws, replace=True, p=w)
    return [{k: float(v[i]) for k, v in params.items()} for i in picks]


def spawned_seeds(seed: int, purpose: str, draws: int) -> list[int]:
    """A root seed for each of ``draws`` runs: the first 63 bits of child ``k`` of the
    stream ``purpose`` of root ``seed``."""
    streams = Streams(seed)
    return [int(streams.child(purpose, k).generate_state(1, np.uint64)[0] >> np.uint64(1))
            for k in range(draws)]
