"""Everything progression can say has words in every language, with the right numbers."""

from __future__ import annotations

import random
import re
from types import SimpleNamespace
from typing import Any

import pytest

from bench.simulation import random_history, random_runner, simulate
from locales import SUPPORTED, translator
from progression import Cue, Exercise, GateCode, Injury, ReasonCode, SessionKind, decide, plan_week
from reports import labels, reasons, words
from reports.pain import PainRule
from reports.plan import PlanView, decision_text

PLACEHOLDER = re.compile(r"\{(\w+)\}")


def _ctx(lang: str) -> Any:
    tr = translator(lang)
    from datetime import date

    return SimpleNamespace(
        tr=tr, lang=lang, _=tr.gettext, n_=tr.ngettext, today=date(2026, 3, 2)
    )


@pytest.mark.parametrize(
    ("mapping", "enum"),
    [
        (reasons.REASONS, ReasonCode),
        (labels.CUES, Cue),
        (labels.EXERCISES, Exercise),
        (labels.GATES, GateCode),
        (labels.INJURIES, Injury),
        (labels.KINDS, SessionKind),
    ],
)
def test_every_value_progression_can_emit_has_a_text(mapping: Any, enum: Any) -> None:
    assert set(mapping) == set(enum)


def _decisions() -> list[Any]:
    rng = random.Random(7)
    out = []
    for _ in range(120):
        history, today = random_history(rng)
        out.append(decide(history, today))
    for _ in range(20):
        runner, flags, clear = random_runner(rng)
        out += [d for _, d in simulate(runner, days=60, flags=flags, clear_after=clear).log]
    return out


def test_reason_texts_only_use_values_the_reason_carries() -> None:
    seen: set[ReasonCode] = set()
    for decision in _decisions():
        for reason in decision.reasons:
            seen.add(reason.code)
            entry = reasons.REASONS[reason.code]
            texts = [entry] if isinstance(entry, str) else [entry[0], *entry[1]]
            wanted = set().union(*(PLACEHOLDER.findall(t) for t in texts))
            assert wanted <= set(reason.as_dict()), (reason.code, reason.values)
    assert len(seen) >= 15  # the sample reaches most rules


@pytest.mark.parametrize("lang", SUPPORTED)
def test_decisions_and_plans_render_in_every_language(lang: str) -> None:
    ctx = _ctx(lang)
    rng = random.Random(11)
    for decision in _decisions()[:200]:
        text = decision_text(ctx, PlanView.of(decision, ctx.today, PainRule(2, 3)))
        assert text.strip() and "{" not in text and "?" not in text.replace("?</", "")
    history, today = random_history(rng)
    for day in plan_week(history, today):
        assert words.prescription(ctx, day.prescription, pain=PainRule(2, 3))


def test_russian_minutes_use_three_plural_forms() -> None:
    ctx = _ctx("ru")
    assert words.duration(ctx, 1) != words.duration(ctx, 2) != words.duration(ctx, 5)
    assert words.duration(ctx, 21).endswith(words.duration(ctx, 1).split(" ", 1)[1])


def test_an_exercise_says_one_leg_or_both_sets_reps_each_side_and_rest() -> None:
    from progression import StrengthItem

    en = _ctx("en")
    single = words.strength_item(en, StrengthItem(Exercise.STEP_DOWN, 3, 15))
    assert single == (
        "Slow step-downs: one leg, each side, 3 × 15; rest 1 minute between sets"
    )
    both = words.strength_item(en, StrengthItem(Exercise.WALL_SIT, 5, None, 45))
    assert both == "Wall sit: both legs, 5 × 45 s; rest 1 minute between sets"
    heavy = words.strength_item(en, StrengthItem(Exercise.CALF_RAISE_SINGLE, 3, 5))
    assert heavy == "Single-leg heel raises: each side, 3 × 5; rest 2 minutes between sets"
    named = words.strength_item(en, StrengthItem(Exercise.CALF_RAISE_DOUBLE, 3, 15))
    assert named == "Heel raises on both legs: 3 × 15; rest 1 minute between sets"
