"""Label-free stopping rules for the adversarial stage (§4.3's open question).

A rule reads a run's learning curve (``TIPSyCurveHook`` rows, oldest first)
and returns the index of the point to keep, using only label-free columns:
``train_*`` (the training losses) and ``heldout_*``
(``research.training_signals`` on the validation subject's 2D). It must never
read a metric column (PA-MPJPE, N-MPJPE, ...): ``select`` hides them.

Rules (``select(rows, rule)``; ``rule`` a name below, a name of
``CANDIDATE_RULES`` (e.g. 'min_bone_spread'), or ``dict(type=name, ...)``):

* ``last``: the last point;
* ``min_signal``: the point with the smallest ``signal`` (default
  ``heldout_bone_ratio_spread``), optionally after ``warmup`` epochs;
* ``before_collapse``: a collapse guard. A collapse inflates the predicted
  depths, so the first point whose ``signal`` (default
  ``heldout_depth_abs``) exceeds ``jump`` × its running minimum (after
  ``warmup`` epochs) marks the collapse; the pick is then ``then``
  (``min_signal`` by default, or ``last``) among the points before it.

``judge`` scores a rule on recorded curves with their validation errors
(research tools only): its pick's gap to each run's best point, and whether
it picked a collapsed point.
"""
import math
from typing import Dict, List, Sequence

LABELLED_COLUMNS = ('PA-MPJPE', 'PA-MPJPE-reflection', 'N-MPJPE', 'MPJPE',
                    'Mirrored')
DEFAULT_RULE = dict(type='before_collapse', signal='heldout_depth_abs',
                    jump=1.3, warmup=0.5, then='min_signal',
                    then_signal='heldout_bone_ratio_spread')


# The rules judged on the validation protocol (tools/analysis/
# judge_stopping_rules.py; docs/stability.md has the table).
CANDIDATE_RULES = {
    'last': 'last',
    'min_bone_spread': dict(type='min_signal',
                            signal='heldout_bone_ratio_spread', warmup=0.5),
    'min_bone_asymmetry': dict(type='min_signal',
                               signal='heldout_bone_asymmetry', warmup=0.5),
    'min_heldout_reprojection': dict(type='min_signal',
                                     signal='heldout_reprojection',
                                     warmup=0.5),
    'min_heldout_ninety': dict(type='min_signal', signal='heldout_ninety',
                               warmup=0.5),
    'min_train_g_loss': dict(type='min_signal', signal='train_g_loss',
                             warmup=0.5),
    'max_heldout_d_fooled': dict(type='min_signal',
                                 signal='heldout_d_accuracy', warmup=0.5),
    'before_collapse_last': dict(DEFAULT_RULE, then='last'),
    'before_collapse_min_bone_spread': DEFAULT_RULE,
}


def label_free(rows: Sequence[dict]) -> List[dict]:
    """The rows without any column that reads 3D labels."""
    return [{k: v for k, v in row.items() if k not in LABELLED_COLUMNS}
            for row in rows]


def _finite(value):
    return value is not None and math.isfinite(value)


def rule_last(rows):
    return len(rows) - 1


def rule_min_signal(rows, signal='heldout_bone_ratio_spread', warmup=0.0):
    candidates = [i for i, r in enumerate(rows)
                  if r['epoch'] >= warmup and _finite(r.get(signal))]
    if not candidates:
        return len(rows) - 1
    return min(candidates, key=lambda i: rows[i][signal])


def collapse_index(rows, signal='heldout_depth_abs', jump=1.3, warmup=0.5):
    """The first point after ``warmup`` epochs whose ``signal`` exceeds
    ``jump`` × the running minimum of the points before it (from
    ``warmup``), or None."""
    lowest = None
    for i, row in enumerate(rows):
        value = row.get(signal)
        if row['epoch'] < warmup or not _finite(value):
            continue
        if lowest is not None and value > jump * lowest:
            return i
        lowest = value if lowest is None else min(lowest, value)
    return None


def rule_before_collapse(rows, signal='heldout_depth_abs', jump=1.3,
                         warmup=0.5, then='min_signal',
                         then_signal='heldout_bone_ratio_spread'):
    end = collapse_index(rows, signal, jump, warmup)
    kept = rows if end is None else rows[:max(end, 1)]
    if then == 'last':
        return len(kept) - 1
    if then == 'min_signal':
        return rule_min_signal(kept, then_signal, warmup)
    raise ValueError(f"then must be 'last' or 'min_signal', got {then!r}")


RULES = {
    'last': rule_last,
    'min_signal': rule_min_signal,
    'before_collapse': rule_before_collapse,
}


def select(rows: Sequence[dict], rule='default') -> int:
    """Index of the point ``rule`` keeps, read from label-free columns."""
    if not rows:
        raise ValueError('an empty curve: nothing to select')
    if rule == 'default':
        rule = DEFAULT_RULE
    if isinstance(rule, str) and rule in CANDIDATE_RULES:
        rule = CANDIDATE_RULES[rule]
    if isinstance(rule, str):
        rule = dict(type=rule)
    rule = dict(rule)
    name = rule.pop('type')
    if name not in RULES:
        raise ValueError(f'unknown stopping rule {name!r}; known: '
                         f'{sorted(RULES)}')
    return RULES[name](label_free(rows), **rule)


def judge(curves: Dict[object, Sequence[dict]], rule='default',
          collapsed_above=None, metric='PA-MPJPE') -> dict:
    """How ``rule`` does on recorded curves (with their validation errors).

    ``collapsed_above``: an error (mm) above which a point counts as
    collapsed (e.g. the zero-depth error); None: 1.5 × the run's best. A
    collapsed pick is a pick in a collapsed stretch of a run that also had
    a good stretch; a run that never got below the limit is a failed run
    (every rule's pick is bad there), listed apart.
    Returns the mean gap (pick − best), the largest gap, the collapsed
    picks, the failed runs, and per run (pick, best, their epochs).
    """
    per_run, gaps, collapsed, failed = {}, [], [], []
    for key, rows in curves.items():
        pick = select(rows, rule)
        errors = [r[metric] for r in rows]
        best = min(range(len(rows)), key=lambda i: errors[i])
        limit = (1.5 * errors[best] if collapsed_above is None else
                 collapsed_above)
        gap = errors[pick] - errors[best]
        gaps.append(gap)
        if errors[best] > limit:
            failed.append(key)
        elif errors[pick] > limit:
            collapsed.append(key)
        per_run[key] = dict(pick=errors[pick], pick_epoch=rows[pick]['epoch'],
                            best=errors[best], best_epoch=rows[best]['epoch'])
    return dict(mean_gap=sum(gaps) / len(gaps), max_gap=max(gaps),
                collapsed_picks=collapsed, failed_runs=failed, runs=per_run)
