"""The protocol notes' rules, re-derived from /work/shared/protocol-notes.md as checks on a
decision, independently of the engine's code: nothing here calls progression's rule helpers
(only its data types, `decide`/`plan_week` to be judged, and the ladder's table of minutes).

`violations(history, today, decision, plan)` returns (rule, message) pairs; the rules are the
figures `bench/safety.py` prints:

* `referral`: a red flag (pain that wakes at night included, in any screen or morning check)
  after the last clinician clearance, and the decision is not a referral (notes §1, §7).
* `warning_48h`: a progress within 48 h of warning pain (sharp, a limp, over the ceiling).
* `run_on_step_back_day`, `run_spacing`: no run on the day of a step back; at most 4 runs in
  7 days, never back to back in stages 2-3, never three days in a row.
* `gap_rule`: days without running since the last run (or a restart a clinician or the end
  of a protect spell gave): 7+ at most one level below the level the gap began at, 14+ two,
  28+ the walk/run entry; no progress after 7+ days without running; a gap's step back never
  lower than its tier (notes §3, §7). A decision that acts on another event (a swelling
  spell, say: a step back, no run that day) leaves the tier to the next decision: one event
  a decision.
* `green_count`: a progress needs the level's greens: its own session done in full (90 % of
  its running, or of its minutes), pain within the tissue's green limit, no sharp pain, limp
  or swelling, a settled first morning (notes §2, §3, §7).
* `progress_after_unsettled_morning`: a progress within a day of an unsettled or worse
  morning, or counting greens from before one.
* `progress_before_morning_check`: a progress while the latest session's morning check is
  not in and not overdue by more than a day.
* `escalation_while_care_team_holds`: "see a clinician" told to the runner while a care-team
  member holds or caps the plan.
* `escalation_noise`: a step-back escalation without 3 symptom step-backs in 28 days (gaps
  and clearances are no symptoms), or still standing after the runner moved up again.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from datetime import date, timedelta

from progression import Action, Injury, Outcome, ReasonCode, Swelling
from progression.ladder import running_minutes_table, total_minutes_table
from progression.models import CheckIn, DayPlan, Decision, History, MorningCheck

RUN = running_minutes_table()  # the ladder's running minutes per level (data, not a rule)
TOTAL = total_minutes_table()
STAGE_FIRST = (0, 3, 8, 12, 15, 23)  # notes §2 stages 0-5 on the ladder's levels
WALK_RUN_ENTRY = STAGE_FIRST[2]
# notes §2: walking +5 min a day (one good walk), walk/run "2-3 times", continuous "each
# twice", intensity "each three times"; protect and build: twice (docs/protocol.md)
GREENS_NEEDED = {0: 2, 1: 1, 2: 2, 3: 2, 4: 2, 5: 3}
# notes §3 and §7: muscle strains close to pain-free (0-2), tendons and fascia up to 5 when
# settled, ligament 0-3 (the safe zone), possible bone stress pain-free only
GREEN_MAX = {
    Injury.CALF_STRAIN: 2, Injury.HAMSTRING_STRAIN: 2, Injury.QUAD_STRAIN: 2, Injury.OTHER: 2,
    Injury.ACHILLES: 5, Injury.PATELLAR: 5, Injury.PLANTAR_FASCIITIS: 5,
    Injury.ANKLE_SPRAIN: 3, Injury.SHIN_PAIN: 0,
}
CEILING = {
    Injury.CALF_STRAIN: 3, Injury.HAMSTRING_STRAIN: 3, Injury.QUAD_STRAIN: 3, Injury.OTHER: 3,
    Injury.ACHILLES: 5, Injury.PATELLAR: 5, Injury.PLANTAR_FASCIITIS: 5,
    Injury.ANKLE_SPRAIN: 4, Injury.SHIN_PAIN: 1,
}
FULL = 0.9
# step backs for symptoms (notes §3's ladder); a gap or a clinician's restart is none
SYMPTOMS = frozenset({
    ReasonCode.SHARP_OR_LIMP, ReasonCode.PAIN_DURING_OVER_CEILING,
    ReasonCode.PAIN_AFTER_OVER_CEILING, ReasonCode.SWELLING_AFTER_SESSION,
    ReasonCode.SYMPTOMS_AFTER_PROGRESS, ReasonCode.NOT_SETTLED_AFTER_48H,
    ReasonCode.SWELLING_72H, ReasonCode.WORSENING_TREND, ReasonCode.REST_OR_DAILY_PAIN,
    ReasonCode.NIGHT_PAIN_RESOLVED,
})
GAPS = {ReasonCode.GAP_7_DAYS: 1, ReasonCode.GAP_14_DAYS: 2, ReasonCode.GAP_28_DAYS: None}
RESTARTS = frozenset({ReasonCode.RED_FLAG_CLEARED, ReasonCode.REST_PAIN_SETTLED})
STOPS = (Action.STEP_BACK, Action.REST, Action.REFER)

RULES = ("referral", "warning_48h", "run_on_step_back_day", "run_spacing", "gap_rule",
         "green_count", "progress_after_unsettled_morning", "progress_before_morning_check",
         "escalation_while_care_team_holds", "escalation_noise")


def stage(level: int) -> int:
    return max(s for s, first in enumerate(STAGE_FIRST) if level >= first)


def upto(items: Sequence[CheckIn], today: date) -> list[CheckIn]:
    return sorted((c for c in items if c.day <= today), key=lambda c: c.day)


def mornings_upto(h: History, today: date) -> list[MorningCheck]:
    return sorted((m for m in h.mornings if m.day <= today), key=lambda m: m.day)


def ran(c: CheckIn) -> int:
    """Running minutes done (a session cut short counts for what was done)."""
    if c.outcome in (Outcome.SKIPPED, Outcome.CROSS):
        return 0
    if c.running_minutes is not None:
        return max(0, c.running_minutes)
    lvl = max(0, min(len(RUN) - 1, c.level))
    if c.outcome is Outcome.SHORTER and RUN[lvl]:
        share = c.minutes / TOTAL[lvl] if TOTAL[lvl] > 0 and c.minutes > 0 else 0.0
        return math.floor(RUN[lvl] * min(1.0, share))
    return RUN[lvl]


def settled(m: MorningCheck) -> bool:
    return ("worse" not in (m.pain, m.stiffness) and m.swelling is Swelling.NONE
            and not m.night_pain)


# ---------------------------------------------------------------- the rules
def referral_open(h: History, today: date) -> bool:
    """A red flag, or a morning's night pain, after the last clinician clearance (notes §1:
    pain that wakes at night is a bone-stress sign; §7: only a clearance ends a referral)."""
    cleared: date | None = None
    is_open = False
    for f in sorted((f for f in h.red_flags if f.day <= today), key=lambda f: f.day):
        if f.cleared_to_stage is not None:
            is_open, cleared = False, f.day
        elif f.flags:
            is_open = True
    return is_open or any(m.night_pain and m.day <= today and (cleared is None or m.day > cleared)
                          for m in h.mornings)


def warning_within_48h(h: History, today: date) -> bool:
    ceiling = CEILING[h.profile.injury]
    return any(0 <= (today - c.day).days <= 2 and c.outcome is not Outcome.SKIPPED and (
        c.sharp_or_limp or c.pain_during > ceiling or c.pain_after > ceiling)
        for c in h.checkins)


def gap_start(h: History, today: date) -> date | None:
    runs = [c.day for c in h.checkins if c.day <= today and ran(c) > 0]
    last = max(runs, default=None)
    if h.last_run_day is not None and h.last_run_day <= today and (
            last is None or h.last_run_day > last):
        last = h.last_run_day
    restarts = [p.day for p in h.past if p.day <= today and p.codes & RESTARTS]
    if restarts and (last is None or max(restarts) > last):
        last = max(restarts)
    return last


def level_at(h: History, day: date) -> int | None:
    """The runner's level when `day` ended, when the history says it."""
    if h.level_since <= day:
        return h.level
    changes = [c for c in h.level_changes if c.day <= day]
    return max(changes, key=lambda c: c.day).level if changes else None


def gap_rule(h: History, today: date, d: Decision) -> list[str]:
    if stage(h.level) < 2 or d.action in (Action.REFER, Action.REST):
        return []
    start = gap_start(h, today)
    if start is None:
        return []
    days = (today - start).days - 1
    out: list[str] = []
    if days >= 7 and d.action is Action.PROGRESS:
        out.append(f"a progress {days} days after the last run")
    other = any(e[0] not in GAPS for e in d.events)  # another event decided first (one a
    # decision): the gap's tier acts on the next one, and no run comes before it
    if days >= 28:
        if d.level > WALK_RUN_ENTRY and not other:
            out.append(f"{days} days without running, still at level {d.level}")
        return out
    # the level the gap began at: held on its first day (after the morning check about the
    # last run, which may have moved the runner up)
    base = level_at(h, start + timedelta(days=1))
    if base is None or days < 7:
        return out
    acted = {code for p in h.past for code, day in p.events if day == start and code in GAPS}
    if acted and h.level_since <= start:
        return out  # the history says a gap step back happened, but no level changed
    drop = 2 if days >= 14 else 1
    most = max(WALK_RUN_ENTRY, base - drop)
    if d.level > most and not other:
        out.append(f"{days} days without running: level {d.level}, at most {most}")
    for r in d.reasons:
        step = GAPS.get(r.code)
        if step is None or h.stage_cap is not None:
            continue
        least = max(WALK_RUN_ENTRY, min(base - step, h.level - 1))
        if d.level < least:
            out.append(f"{r.code}: level {d.level}, more than {step} below {base}")
    return out


def greens(h: History, today: date, *, restart: bool) -> int:
    """Green sessions at the runner's level (since the latest unsettled morning if
    `restart`)."""
    level = h.level
    first = h.level_since
    mornings = mornings_upto(h, today)
    if restart:
        for m in mornings:
            if m.day >= first and not settled(m):
                first = m.day
    firsts: dict[date, MorningCheck] = {}
    for m in mornings:
        firsts.setdefault(m.run_day, m)
    g = GREEN_MAX[h.profile.injury]
    n = 0
    for c in upto(h.checkins, today):
        if c.day < first or c.level != level or c.outcome is not Outcome.DONE:
            continue
        full = (ran(c) >= FULL * RUN[level] if RUN[level] > 0
                else c.minutes >= FULL * TOTAL[level])
        m = firsts.get(c.day)
        if (full and not c.sharp_or_limp and c.swelling is Swelling.NONE
                and c.pain_during <= g and c.pain_after <= g and m is not None and settled(m)):
            n += 1
    return n


def progress_rules(h: History, today: date, d: Decision) -> list[tuple[str, str]]:
    if d.action is not Action.PROGRESS:
        return []
    out: list[tuple[str, str]] = []
    need = GREENS_NEEDED[stage(h.level)]
    if any(c.action is Action.PROGRESS and c.level == h.level + 1
           and 0 <= (today - c.day).days <= 28 for c in h.level_changes):
        need = 1  # a level moved up from in the last 28 days: climbed again on one green
    counted = greens(h, today, restart=True)
    if counted < need:
        rule = ("progress_after_unsettled_morning"
                if greens(h, today, restart=False) >= need else "green_count")
        out.append((rule, f"a progress on {counted} of {need} greens"))
    if d.level != h.level + 1:
        out.append(("green_count", f"a progress from {h.level} to {d.level}"))
    for m in mornings_upto(h, today):
        if (today - m.day).days <= 1 and not settled(m):
            out.append(("progress_after_unsettled_morning",
                        f"a progress the day after an unsettled morning ({m.day})"))
            break
    sessions = [c for c in upto(h.checkins, today) if c.outcome in (Outcome.DONE,
                                                                     Outcome.SHORTER)]
    if sessions:
        last = sessions[-1]
        if (today - last.day).days <= 2 and not any(m.run_day == last.day
                                                    for m in mornings_upto(h, today)):
            out.append(("progress_before_morning_check",
                        f"a progress before the morning check of {last.day}"))
    return out


def escalation_rules(h: History, today: date, d: Decision) -> list[tuple[str, str]]:
    told = [r for r in d.reasons if r.code is ReasonCode.CLINICIAN_REVIEW_ADVISED]
    if not told:
        return []
    out: list[tuple[str, str]] = []
    if h.care_hold or h.stage_cap is not None:
        out.append(("escalation_while_care_team_holds",
                    "see a clinician while the care team holds or caps the plan"))
    if d.action is Action.PROGRESS:
        out.append(("escalation_noise", "see a clinician on a progress"))
    why = told[0].as_dict().get("why")
    if why == "step_backs":
        past = [p for p in h.past if p.day <= today]
        window = today - timedelta(days=28)
        events = {e for p in past if p.day > window for e in p.events if e[0] in SYMPTOMS}
        events |= {e for e in d.events if e[0] in SYMPTOMS}
        if len(events) < 3:
            out.append(("escalation_noise", f"{len(events)} symptom step backs in 28 days"))
        steps = [p.day for p in past if any(e[0] in SYMPTOMS for e in p.events)]
        latest = not any(e[0] in SYMPTOMS for e in d.events)  # this decision is one
        if latest and steps and any(p.action is Action.PROGRESS and p.day > max(steps)
                                    for p in past):
            out.append(("escalation_noise", "still advised after moving up again"))
    return out


def run_rules(h: History, today: date, d: Decision,
              plan: Sequence[DayPlan]) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    stopped = d.action in STOPS or any(
        p.day == today and (p.action in STOPS or p.events) for p in h.past)
    if stopped and (plan[0].is_run_day or (d.session_date == today
                                           and d.prescription.running_minutes > 0)):
        out.append(("run_on_step_back_day", "a run prescribed on the day of a step back"))
    runs = [p.day for p in plan if p.is_run_day]
    if len(runs) > 4:
        out.append(("run_spacing", "more than 4 runs planned in 7 days"))
    if d.stage in (2, 3) and any((b - a).days < 2 for a, b in itertools.pairwise(runs)):
        out.append(("run_spacing", "runs planned on back-to-back days in the walk/run stages"))
    if any((c - a).days < 3 for a, c in zip(runs, runs[2:], strict=False)):
        out.append(("run_spacing", "runs planned on three days in a row"))
    return out


def violations(h: History, today: date, d: Decision,
               plan: Sequence[DayPlan]) -> list[tuple[str, str]]:
    """Every rule's findings about one decision and the week planned from it."""
    out: list[tuple[str, str]] = []
    if not d.reasons:
        out.append(("referral", "decision without a reason"))
    if referral_open(h, today) and d.action is not Action.REFER:
        out.append(("referral", f"{d.action} while a referral is open"))
    if d.action is Action.PROGRESS and warning_within_48h(h, today):
        out.append(("warning_48h", "progress within 48 h of warning pain"))
    out += run_rules(h, today, d, plan)
    out += [("gap_rule", m) for m in gap_rule(h, today, d)]
    out += progress_rules(h, today, d)
    out += escalation_rules(h, today, d)
    return out
