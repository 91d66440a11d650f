"""False-alert shares of two live facial recognition deployments.

Two deployments at opposite ends of the base-rate arithmetic. South Wales Police at the
2017 UEFA Champions League final in Cardiff: 2,297 of 2,470 alerts were false (93%). The
Metropolitan Police's live facial recognition in 2024-25: 10 false alerts among 2,077 (0.48%)
from 3,147,436 faces scanned. The same sensor model gives both once each deployment's own
scans, watchlist hits and rates are put in.

How it is checked
-----------------
For each deployment the true alerts (alerts - false) fix the watchlisted faces among the
scans (true / TPIR), hence the prevalence; FPIR is false / (scans - watchlisted) unless given
(`--param met_fpir=...`). The scans are then simulated with `sensors.alert_outcomes` (float32
uniforms, as in the model) and the simulated share of false alerts is compared with the
published share; tolerance: the central binomial interval (95%) of the published share
among the simulated alerts. Because the rates are derived from the published counts, the
case checks that the model's scan arithmetic reproduces the published outcome from its
inputs; it is not an independent prediction. Giving an assumed FPIR instead (e.g. a lab
operating point) tests whether that rate is consistent with the deployment: the NPL's 1 in
6,000 for the Met would predict about 20% false alerts, not 0.48%.

Inputs: published and assumed
-----------------------------
Published: alerts and false alerts of both deployments and the Met's faces scanned.
Assumed: the faces scanned in Cardiff (170,000, the crowd reported in the city that day;
South Wales Police did not publish a scan count) and both TPIRs (0.9 for South Wales, 0.89
for the Met from the NPL study). With the prevalence derived from the true alerts, the
expected share does not depend on TPIR. Both FPIRs are derived from the published counts.

Sources
-------
- South Wales Police (2018). Figures on automated facial recognition at the UEFA Champions
  League final, Cardiff, 3 June 2017 (2,470 alerts, 2,297 false), released in May 2018 and
  reported by the press (e.g. BBC News and the Guardian, 4-5 May 2018).
- Metropolitan Police Service. Live facial recognition annual report figures for 2024-25
  (3,147,436 faces scanned, 2,077 alerts, 10 false), as cited in the source of the scenario
  parameter `surveillance.cameras.p_ambient_scan`; check them against the Met's published
  live facial recognition reports before citing.
- Mansfield, T. (2023). *Facial Recognition Technology in Law Enforcement: Equitability
  Study* (NPL Report MS 43). National Physical Laboratory.
"""

from __future__ import annotations

import math

import numpy as np
from pydantic import model_validator

from panoptisim import sensors
from panoptisim.scenario.schema import param
from panoptisim.validation import theory
from panoptisim.validation.inputs import CaseInputs, seed
from panoptisim.validation.registry import Check, define, rng

SWP = "South Wales Police 2018, UEFA Champions League final 2017"
MET = "Met Police live facial recognition annual report figures, 2024-25"
DERIVED = "derived from the published counts (auto)"


class Inputs(CaseInputs):
    """Each deployment's scans, alerts, false alerts and error rates; the interval level."""

    swp_scans: int = param(170_000, ge=1, le=50_000_000, unit="faces",
                           source="assumption: the crowd reported in Cardiff that day (no "
                                  "scan count was published)",
                           description="South Wales Police 2017: faces scanned (assumed).")
    swp_alerts: int = param(2470, ge=1, le=1e9, unit="alerts", source=SWP,
                            description="South Wales Police 2017: alerts (published).")
    swp_false: int = param(2297, ge=0, le=1e9, unit="alerts", source=SWP,
                           description="South Wales Police 2017: false alerts (published).")
    swp_tpir: float = param(0.9, ge=0.0, le=1.0, unit="probability",
                            source="assumption: the order of the NPL's 0.89; the expected "
                                   "share does not depend on it",
                            description="South Wales Police 2017: TPIR (assumed).")
    swp_fpir: float | None = param(None, ge=0.0, le=1.0, unit="per scan", source=DERIVED,
                                   description="South Wales Police 2017: FPIR per scan (auto: "
                                               "derived from the counts).")
    met_scans: int = param(3_147_436, ge=1, le=50_000_000, unit="faces", source=MET,
                           description="Met Police 2024-25: faces scanned (published).")
    met_alerts: int = param(2077, ge=1, le=1e9, unit="alerts", source=MET,
                            description="Met Police 2024-25: alerts (published).")
    met_false: int = param(10, ge=0, le=1e9, unit="alerts", source=MET,
                           description="Met Police 2024-25: false alerts (published).")
    met_tpir: float = param(0.89, ge=0.0, le=1.0, unit="probability",
                            source="Mansfield 2023 (NPL): face match threshold 0.6",
                            description="Met Police 2024-25: TPIR (NPL 2023 at threshold 0.6).")
    met_fpir: float | None = param(None, ge=0.0, le=1.0, unit="per scan", source=DERIVED,
                                   description="Met Police 2024-25: FPIR per scan (auto: derived "
                                               "from the counts).")
    confidence: float = param(0.95, ge=0.5, le=0.99999, unit="probability",
                              source="assumption: the conventional 95%",
                              description="Level of the binomial intervals.")
    seed: int = seed()

    @model_validator(mode="after")
    def _counts_consistent(self) -> Inputs:
        for prefix in ("swp", "met"):
            scans, alerts, false, tpir = (getattr(self, f"{prefix}_{k}")
                                          for k in ("scans", "alerts", "false", "tpir"))
            if not 0 <= false <= alerts:
                raise ValueError(f"{prefix}_false = {false} must lie in [0, {prefix}_alerts = "
                                 f"{alerts}]")
            true = alerts - false
            if true > 0 and tpir == 0:
                raise ValueError(f"{prefix}_tpir must be above 0 when there are true alerts")
            watchlisted = true / tpir if true else 0.0
            if watchlisted >= scans:
                raise ValueError(f"{prefix}_scans = {scans} is too small for {true} true alerts "
                                 f"at TPIR {tpir:g}")
        return self


def _deployment(p: Inputs, prefix: str, label: str) -> Check:
    """Simulate one deployment's scans with rates derived from (or given against) its counts."""
    scans, alerts, false, tpir, fpir = (getattr(p, f"{prefix}_{k}")
                                        for k in ("scans", "alerts", "false", "tpir", "fpir"))
    true = alerts - false
    watchlisted_scans = true / tpir if tpir > 0 else 0.0
    prevalence = watchlisted_scans / scans
    if fpir is None:
        fpir = false / (scans - watchlisted_scans)
    stream = rng(p.seed, "deployments", prefix)
    watchlisted = stream.random(scans) < prevalence
    u = stream.random(scans, dtype=np.float32)
    true_alert, false_alert = sensors.alert_outcomes(np.ones(scans, bool), watchlisted, u, tpir,
                                                     fpir)
    sim_false, sim_total = int(false_alert.sum()), int(false_alert.sum() + true_alert.sum())
    share = false / alerts
    tol = theory.binomial_half_width(sim_total, share, p.confidence) / sim_total \
        if sim_total else 0.0
    return Check(f"false-alert share, {label} ({false:,} of {alerts:,}; {scans:,} scans, "
                 f"FPIR {fpir:.3g})", share, sim_false / sim_total if sim_total else math.nan,
                 tol, f"binomial {p.confidence:.0%}")


def run(p: Inputs) -> list[Check]:
    """The simulated false-alert share of each deployment against its published share."""
    return [_deployment(p, "swp", "South Wales Police 2017"),
            _deployment(p, "met", "Met Police 2024-25")]


CASE = define("deployments", __doc__, Inputs, run)
