"""Base-rate arithmetic of 1:N face identification.

Scanning a crowd against a watchlist raises false alerts in proportion to the faces scanned:
expected false alerts = scans x FPIR, whatever the prevalence of wanted people. FPIR itself
grows with the watchlist: 1 - (1 - FMR)^N, about N x FMR for small FMR, so a watchlist ten
times larger gives ten times the false alerts. At a prevalence of 1 in 10,000, with TPIR 0.89
and FPIR 1/6,000, only p TPIR / (p TPIR + (1 - p) FPIR) = 34.8% of alerts are true.

How it is checked
-----------------
Observed: `sensors.alert_outcomes`, the draw inside the model's ambient camera scanning,
with float32 uniforms from a named stream as in the simulation. The FPIR of each watchlist
is the model's linear scaling `sensors.fpir_by_group(FPIR of the first watchlist, size
ratio)`, the first watchlist's FPIR from `sensors.fpir_of_gallery(FMR, size)`; the expected
false alerts use the exact 1 - (1 - FMR)^N, so the check covers the scaling too.
Watchlisted faces for the predictive value are Bernoulli(prevalence). Expected: scans x
FPIR, scans x p x TPIR and the predictive value in closed form. Tolerance: central binomial
intervals at `confidence` (95%) for counts; for the ratio of false alerts, the matching
normal quantile (1.96 at 95%) times the standard error of the log ratio; for the predictive
value, the binomial interval of true alerts among the alerts raised.

Inputs: published and assumed
-----------------------------
Published: TPIR 0.89 and FPIR 1 in 6,000 (NPL 2023, the Met's NEC system at face match
threshold 0.6). Assumed: prevalence 1 in 10,000, FMR 1e-7 per comparison, watchlists of
1,000 and 10,000 and the numbers of scans.

Sources
-------
- Grother, P., Ngan, M., & Hanaoka, K. (2019). *Face Recognition Vendor Test (FRVT) Part 2:
  Identification* (NISTIR 8271). NIST. doi:10.6028/NIST.IR.8271
- Mansfield, T. (2023). *Facial Recognition Technology in Law Enforcement: Equitability
  Study* (NPL Report MS 43). National Physical Laboratory.
- Bar-Hillel, M. (1980). The base-rate fallacy in probability judgments. *Acta
  Psychologica*, 44(3), 211-233. doi:10.1016/0001-6918(80)90046-3
"""

from __future__ import annotations

import math
from typing import Annotated

import numpy as np
from annotated_types import Ge, Le
from scipy import stats

from panoptisim import sensors
from panoptisim.fmt import figure
from panoptisim.scenario.schema import param
from panoptisim.validation import theory
from panoptisim.validation.inputs import CaseInputs, seed
from panoptisim.validation.registry import Check, define, rng

NPL = "Mansfield 2023 (NPL): the Met's NEC system at face match threshold 0.6"


class Inputs(CaseInputs):
    """Scans, watchlists and error rates of the sensor model, and the interval level."""

    scans: int = param(1_000_000, ge=1000, le=50_000_000, unit="faces",
                       source="assumption: about 100 false alerts at the first watchlist",
                       description="Faces scanned against each watchlist.")
    fmr: float = param(1e-7, gt=0.0, le=0.01, unit="per comparison",
                       source="assumption: FPIR about 1e-4 (N x FMR) at a watchlist of 1,000",
                       description="False match rate per comparison.")
    watchlists: tuple[Annotated[float, Ge(1.0), Le(1e9)], ...] = param(
        (1000.0, 10000.0), unit="faces",
        source="assumption: two watchlists a factor of ten apart",
        description="Watchlist sizes (the first is the reference the model scales from).")
    prevalence: float = param(1e-4, gt=0.0, le=1.0, unit="share of faces",
                              source="assumption: 1 wanted person in 10,000 passers-by",
                              description="Share of scanned faces on the watchlist.")
    tpir: float = param(0.89, ge=0.0, le=1.0, unit="probability", source=NPL,
                        description="True-positive identification rate.")
    fpir: float = param(1 / 6000, ge=0.0, le=1.0, unit="per search", source=NPL,
                        description="False-positive identification rate per search.")
    ppv_scans: int = param(5_000_000, ge=1000, le=100_000_000, unit="faces",
                           source="assumption: about 450 true alerts, enough to pin the "
                                  "predictive value",
                           description="Faces scanned for the predictive value.")
    confidence: float = param(0.95, ge=0.5, le=0.99999, unit="probability",
                              source="assumption: the conventional 95%",
                              description="Level of the binomial intervals.")
    seed: int = seed()


def run(p: Inputs) -> list[Check]:
    """False alerts scale with scans and watchlist size; the predictive value is low."""
    conf = p.confidence
    z = stats.norm.isf((1.0 - conf) / 2.0)
    scans = p.scans
    sizes = p.watchlists
    reference = float(sensors.fpir_of_gallery(p.fmr, sizes[0]))
    rows, counts, expected = [], [], []
    nobody = np.zeros(scans, bool)
    everyone = np.ones(scans, bool)
    for size in sizes:
        model_fpir = float(sensors.fpir_by_group(reference, size / sizes[0], 1.0, 1.0)[0])
        u = rng(p.seed, "base-rate", f"watchlist={size!r}").random(scans, dtype=np.float32)
        _, false_alert = sensors.alert_outcomes(everyone, nobody, u, p.tpir, model_fpir)
        exact = float(sensors.fpir_of_gallery(p.fmr, size))
        count = int(false_alert.sum())
        counts.append(count)
        expected.append(scans * exact)
        rows.append(Check(f"false alerts, watchlist {figure(size)}, {figure(scans)} scans "
                          f"(FPIR {exact:.3g} ~ N x FMR = {size * p.fmr:.3g})",
                          scans * exact, count,
                          theory.binomial_half_width(scans, exact, conf),
                          f"binomial {conf:.0%}"))
    if len(sizes) > 1 and min(counts) > 0:
        ratio = expected[-1] / expected[0]
        se = math.sqrt(1.0 / expected[-1] + 1.0 / expected[0])
        rows.append(Check(f"false alerts, watchlist {figure(sizes[-1])} / {figure(sizes[0])}",
                          ratio, counts[-1] / counts[0], ratio * math.expm1(z * se),
                          f"log-ratio {conf:.0%}"))

    n, prev, tpir, fpir = p.ppv_scans, p.prevalence, p.tpir, p.fpir
    stream = rng(p.seed, "base-rate", "ppv")
    watchlisted = stream.random(n) < prev
    u = stream.random(n, dtype=np.float32)
    true_alert, false_alert = sensors.alert_outcomes(np.ones(n, bool), watchlisted, u, tpir,
                                                     fpir)
    hits, misses = int(true_alert.sum()), int(false_alert.sum())
    ppv = theory.positive_predictive_value(prev, tpir, fpir)
    total = hits + misses
    rows += [
        Check(f"true alerts, {figure(n)} scans, prevalence {prev:g}, TPIR {tpir:g}",
              n * prev * tpir, hits, theory.binomial_half_width(n, prev * tpir, conf),
              f"binomial {conf:.0%}"),
        Check(f"false alerts, {figure(n)} scans, FPIR {fpir:.3g}", n * (1 - prev) * fpir,
              misses, theory.binomial_half_width(n, (1 - prev) * fpir, conf),
              f"binomial {conf:.0%}"),
        Check("positive predictive value (share of alerts that are true)", ppv,
              hits / total if total else math.nan,
              theory.binomial_half_width(total, ppv, conf) / total if total else 0.0,
              f"binomial {conf:.0%}"),
    ]
    return rows


CASE = define("base-rate", __doc__, Inputs, run, quick={"ppv_scans": 2_000_000})
