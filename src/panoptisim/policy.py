"""Stage 0, policy: the timeline's changes take effect at the start of their day.

On a day a new period of the schedule starts (:mod:`panoptisim.scenario.timeline`), the
treated arm's rules become that period's, region by region, and the actions of the day's
entries act on the state of the regions they name:

- ``abolish``: the regime ends. Running sanctions are lifted (their legal basis is gone);
  flags still counting stop counting (status ``ABOLISHED``; the log keeps them, with their
  provenance); scores and the points and credits behind them return to their start (no
  scorer, no score). Agents keep what they learnt: perceived risk is not reset but fades by
  the same learning rule as it grew (Anwar & Loughran 2011: perceptions update on new
  evidence, and without detections the evidence is nil). Association points end with the
  flags; cut ties are not restored by decree but return one by one as their cost has ended
  (``social.restore_ties``: no association scoring any more). Penney (2016) found that
  chilling after the 2013 revelations persisted for months, not days, so no reset is
  assumed.
- ``introduce``: nothing to undo: the region lived without a scorer, so scores are at their
  start and nobody is flagged; the new rules apply from today.
- ``reveal``: only the rules change (the feeds stop being unseen), so perceived risk starts
  to include their detection chance from today.

The control arm is the society without the system: its arm stays ``none``; it takes only
the changes to what people do (``behavior``, ``social``), which both arms share.
"""

from __future__ import annotations

import numpy as np

from panoptisim.context import Context
from panoptisim.flags import ABOLISHED, ACTIVE
from panoptisim.regime import make_arm
from panoptisim.rules import Rules
from panoptisim.state import Today


def abolish(ctx: Context, residents: np.ndarray) -> int:
    """End the regime for ``residents`` (bool per agent); returns the sanctions lifted."""
    s = ctx.state
    running = (s.sanction_days_left > 0) & residents
    lifted = int(running.sum())
    s.sanction_days_left[running] = 0
    log = s.flags
    status = log.column("status")
    ending = (status == ACTIVE) & residents[log.agent]
    status[ending] = ABOLISHED
    log.column("end_day")[ending] = -1
    assoc = s.association_log
    status = assoc.column("status")
    ending = (status == ACTIVE) & residents[assoc.agent]
    status[ending] = ABOLISHED
    for acc in s.point_accumulators():
        acc[residents] = 0.0
    s.n_flags_counting[residents] = 0
    s.score[residents] = s.score_start[residents]
    return lifted


def step(ctx: Context, today: Today) -> None:
    """Enter the period that starts today, if one does."""
    period = ctx.schedule.starting(today.t)
    if period is None:
        return
    rules = Rules(period.regions, ctx.state.region)
    ctx.scenario = period.national
    ctx.arm = make_arm(ctx.arm.name, rules)
    if ctx.arm.name != "treated":
        return
    names = [r.name for r in period.national.population.regions]
    for e in (ctx.schedule.entries[i] for i in period.entries):
        if e.action != "abolish":
            continue
        targets = [names.index(r) for r in (e.regions or names)]
        residents = np.isin(ctx.state.region, targets)
        today.sanctions_abolished += abolish(ctx, residents)
