"""Stage 4, sanctions and privileges: score thresholds with durations.

Each day every running sanction counts down; an agent whose score is under a sanction's
threshold, who is not already under it, and whose own flags still counting carry at least
``min_own_points`` penalty points (so the sanction can be traced to its own flags:
association points alone never sanction) receives it for ``dur_<kind>`` days. A
sanction that runs out on a day its holder's score is still under the threshold continues
without a gap: it is renewed for ``dur_<kind>`` days and counted as a continuation
(``sanctions_continued``), not as a new sanction. A new sanction is wrongful by the but-for
test: without its false points (``points_false``, still counting) the score would not have
been under the threshold that day; it is by association when, but for its association
points (``points_association``), the score would have cleared the threshold. A new public
sanction (travel ban, shaming) is charged to the agent's ties as association points
(``scoring.charge_association``). When an appeal
succeeds, the agent's running sanctions whose threshold the restored score clears are
lifted (the decision that caused them has been reversed). Fast-track
privileges (score at or above ``threshold_fast_track``) are read by the metrics.
"""

from __future__ import annotations

import numpy as np

from panoptisim.context import Context
from panoptisim.rules import at
from panoptisim.scoring import charge_association
from panoptisim.state import SANCTIONS, VISIBLE_IDX, Today


def lift_on_appeal(ctx: Context, today: Today) -> None:
    """End the running sanctions of today's appeal winners whose score now clears them."""
    s, winners = ctx.state, today.appeal_winners
    if len(winners) == 0:
        return
    lifted = 0
    for k, kind in enumerate(SANCTIONS):
        threshold = ctx.rules.of(f"sanctions.threshold_{kind}")
        if isinstance(threshold, np.ndarray):
            threshold = threshold[winners]
        clear = winners[(s.sanction_days_left[k, winners] > 0) & (s.score[winners] >= threshold)]
        s.sanction_days_left[k, clear] = 0
        lifted += len(clear)
    today.sanctions_lifted = lifted


def step(ctx: Context, today: Today) -> None:
    """Count down running sanctions, continue those that run out while the score is still
    under their threshold, and impose new ones."""
    from panoptisim import kernels  # numba loads on first use, not at import
    s, t = ctx.state, today.t
    if not ctx.arm.sanctions:
        kernels.count_down(s.sanction_days_left)
        return
    rule = ctx.rules.of
    # the agent's own flags, not its ties', must carry it: association points alone never
    # sanction anyone. Due today: not under the sanction after today's count-down (none
    # running, or the running one's last day was yesterday) and under its threshold. Read
    # before the count-down, so that a sanction running out today is told from one never
    # imposed. One pass over the agents with their regions' rules as tables.
    thresholds = np.array([ctx.rules.table(f"sanctions.threshold_{kind}")
                           for kind in SANCTIONS], np.float64)  # kind x region
    due, ran_out = kernels.due_sanctions(
        s.n_flags_counting, s.points_true, s.points_false, s.region,
        ctx.rules.table("sanctions.min_own_points"), ctx.arm.region_values("sanctions"),
        s.sanction_days_left, s.score, thresholds)
    kernels.count_down(s.sanction_days_left)
    lift_on_appeal(ctx, today)
    agents, kinds, wrongful, political, by_association = [], [], [], [], []
    for k, kind in enumerate(SANCTIONS):
        if len(due[k]) == 0:
            continue
        duration = rule(f"sanctions.dur_{kind}")
        s.sanction_days_left[k, due[k]] = at(duration, due[k])
        # renewed without a gap: the same sanction continues (not a new one, not new
        # evidence for neighbours, its wrongful label the one it was imposed with)
        today.sanctions_continued += int(ran_out[k].sum())
        new = due[k][~ran_out[k]]
        if len(new) == 0:
            continue
        s.ever_sanctioned[k, new] = True
        threshold = thresholds[k, s.region[new]]
        # but-for: without its false points the score would not have been under the
        # threshold today (clipping at score_min ignored)
        wrong = s.score[new] + s.points_false[new] >= threshold
        s.sanction_wrongful[k, new] = wrong
        s.ever_wrongful[new[wrong]] = True
        s.sanction_log.append(agent=new, day=np.full(len(new), t), kind=np.full(len(new), k),
                              points_true=s.points_true[new], points_false=s.points_false[new],
                              wrongful=wrong)
        agents.append(new)
        kinds.append(np.full(len(new), k, np.int8))
        wrongful.append(wrong)
        political.append(s.points_political[new]
                         > 0.5 * (s.points_true[new] + s.points_false[new]))
        # but-for, likewise: without its association points the score would have cleared
        by_association.append(s.score[new] + s.points_association[new] >= threshold)
    if agents:
        today.new_sanction_agent = np.concatenate(agents)
        today.new_sanction_kind = np.concatenate(kinds)
        today.new_sanction_wrongful = np.concatenate(wrongful)
        today.new_sanction_political = np.concatenate(political)
        today.new_sanction_by_association = np.concatenate(by_association)
        visible = np.isin(today.new_sanction_kind, VISIBLE_IDX)
        if visible.any():  # a public sanction is an event the agent's ties are charged for
            who, counts = np.unique(today.new_sanction_agent[visible], return_counts=True)
            charge_association(ctx, t, who, counts.astype(np.float64))
