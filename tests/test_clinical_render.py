"""Words for the clinical-safety output in every language: gates not tested, the pain limit
and cadence target of a prescription, the new reasons (with plurals), dates and hidden
event days; and the cadence setting that makes the cadence cue the runner's own."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import select

from locales import SUPPORTED, translator
from progression import Gate, GateCode, Prescription, ReasonCode, SessionKind
from progression.gates import NOT_TESTED
from reports import reasons, words
from reports.pain import PainRule
from storage.models import Runner
from tests.conftest import Chat, choose, onboard, running_bot


def _ctx(lang: str, cadence: int | None = None) -> Any:
    from datetime import date

    tr = translator(lang)
    return SimpleNamespace(
        tr=tr, lang=lang, _=tr.gettext, n_=tr.ngettext, today=date(2026, 3, 2),
        runner=SimpleNamespace(cadence_spm=cadence),
    )


@pytest.mark.parametrize("lang", SUPPORTED)
def test_a_gate_not_tested_is_never_shown_as_passed(lang: str) -> None:
    ctx = _ctx(lang)
    tr = ctx.tr
    line = words.gate(ctx, Gate(GateCode.NO_SWELLING, False, NOT_TESTED))
    assert line == "➖ " + tr.gettext("{test}: not tested").format(test=tr.gettext("No swelling"))
    assert words.gate(ctx, Gate(GateCode.NO_SWELLING, True, (("swelling", "none"),))).startswith(
        "✅"
    )
    assert words.gate(ctx, Gate(GateCode.NO_SWELLING, False, (("swelling", "mild"),))).startswith(
        "❌"
    )


@pytest.mark.parametrize("lang", SUPPORTED)
def test_every_prescription_says_its_pain_limit_and_cadence(lang: str) -> None:
    tr = translator(lang)
    p = Prescription(
        kind=SessionKind.CONTINUOUS, level=20, stage=3, segments=(), total_minutes=25,
        running_minutes=20, rpe_max=4, cues=(), pain_limit=3, cadence_target=(168, 176),
    )
    own = words.prescription(_ctx(lang, cadence=160), p, pain=PainRule(3, 4))
    assert tr.gettext(
        "Pain rule: aim for {green}/10 or less; above {ceiling}/10 we step back. Any pain "
        "should settle by the next morning."
    ).format(green=3, ceiling=4) in own
    assert tr.gettext(
        "Aim for {lo}-{hi} steps a minute, a little quicker than your usual {spm}."
    ).format(lo=168, hi=176, spm=160) in own
    general = words.prescription(_ctx(lang), p, pain=PainRule(3, 4))
    assert tr.gettext("Aim for {lo}-{hi} steps a minute.").format(lo=168, hi=176) in general


def test_new_reasons_read_well_with_dates_and_plurals() -> None:
    en, ru = _ctx("en"), _ctx("ru")
    warning = {"day": "2026-02-28", "pain": 6, "event_day": "2026-02-28"}
    text = reasons.reason(en, ReasonCode.RECENT_WARNING_PAIN.value, warning)
    assert en.tr.day_month(date(2026, 2, 28)) in text  # the runner's date format (Feb 28)
    assert "2026-02-28" not in text and "6/10" in text
    steps = {"why": "step_backs", "step_backs": 3, "days": 28}
    assert "3 times in 28 days" in reasons.reason(en, "clinician_review_advised", steps)
    assert "3 раза" in reasons.reason(ru, "clinician_review_advised", steps)
    idle = {"why": "no_progress", "days": 28}
    assert "no progress for 28 days" in reasons.reason(en, "clinician_review_advised", idle)
    again = reasons.reason(en, "clinician_review_advised", {"why": "night_pain_again"})
    assert "night has come back" in again
    gap = reasons.reason(ru, "gap_28_days", {"days": 31, "event_day": "2026-02-01"})
    assert "31 день" in gap
    cap = reasons.reason(en, "weekly_minutes_cap", {"limit": 60, "used": 40, "pre_injury": 150})
    assert "capped at 60 minutes" in cap and "about 150 minutes a week" in cap
    for code in ReasonCode:
        assert "event_day" not in reasons.reason(en, code.value, {"event_day": "2026-02-01"})


async def test_cadence_setting(double, db, clock):
    chat = Chat(double, 7601)
    async with running_bot(double, db, clock=clock):
        await onboard(chat)
        [summary] = await chat.say("/settings")
        assert "Running cadence: not known" in summary.text
        await chat.press("Running cadence")
        [bad] = await chat.say("fast")
        assert "cadence" in bad.text  # the same question again, nothing stored
        [saved] = await choose(chat, "165")
        assert "Running cadence: 165 steps a minute" in saved.text
        async with db.session() as session:
            runner = (
                await session.execute(select(Runner).where(Runner.telegram_user_id == 7601))
            ).scalar_one()
            assert runner.cadence_spm == 165
        await chat.press("Running cadence")
        [saved] = await choose(chat, "skip")
        assert "Running cadence: not known" in saved.text
