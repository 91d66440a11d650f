"""Stage 4, sanctions and privileges: score thresholds with durations.

Each day every running sanction counts down; an agent whose score is under a sanction's
threshold, who is not already under it, and who has penalty points from flags still
counting (so the sanction can be traced to flags) receives it for ``dur_<kind>`` days.
The sanction is wrongful when most of those points come from false flags. Fast-track
privileges (score at or above ``threshold_fast_track``) are read by the metrics.
"""

from __future__ import annotations

import numpy as np

from panoptisim.context import Context
from panoptisim.state import SANCTIONS, Today


def step(ctx: Context, today: Today) -> None:
    """Count down running sanctions and impose new ones."""
    s, t = ctx.state, today.t
    np.subtract(s.sanction_days_left, 1, out=s.sanction_days_left,
                where=s.sanction_days_left > 0)
    if not ctx.arm.sanctions:
        return
    params = ctx.scenario.sanctions
    flagged_points = s.points_true + s.points_false
    traced = flagged_points > 0
    agents, kinds, wrongful, political = [], [], [], []
    for k, kind in enumerate(SANCTIONS):
        threshold = getattr(params, f"threshold_{kind}")
        new = np.flatnonzero((s.sanction_days_left[k] == 0) & (s.score < threshold) & traced)
        if len(new) == 0:
            continue
        s.sanction_days_left[k, new] = getattr(params, f"dur_{kind}")
        s.ever_sanctioned[k, new] = True
        wrong = s.points_false[new] > s.points_true[new]
        s.ever_wrongful[new[wrong]] = True
        s.sanction_log.append(agent=new, day=np.full(len(new), t), kind=np.full(len(new), k),
                              points_true=s.points_true[new], points_false=s.points_false[new],
                              wrongful=wrong)
        agents.append(new)
        kinds.append(np.full(len(new), k, np.int8))
        wrongful.append(wrong)
        political.append(s.points_political[new] > 0.5 * flagged_points[new])
    if agents:
        today.new_sanction_agent = np.concatenate(agents)
        today.new_sanction_kind = np.concatenate(kinds)
        today.new_sanction_wrongful = np.concatenate(wrongful)
        today.new_sanction_political = np.concatenate(political)
