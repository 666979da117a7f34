"""/progress and /history end to end over the Bot API double, plus the milestones."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import reports.measures
from locales import translator
from reports import progress
from reports.charts import RUN_BARS, build_figure, render_progress_chart
from storage import Database
from storage import reports as store
from storage.models import (
    ActivityFileRow,
    CheckInRow,
    ConversationRow,
    DecisionRow,
    DeliveryRow,
    InboxRow,
    MorningCheckRow,
    OutboxRow,
    PlanDayRow,
    ReassessmentRow,
    RedFlagRow,
    Runner,
)
from tests.conftest import Chat, Clock, running_bot

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
TODAY = date(2026, 3, 2)  # the conftest clock's day (07:00 UTC)
NOTE = 'Ноги устали, "heavy" legs; <b>not bold</b>'


@dataclass
class Seeded:
    runner_id: int
    checkins: int
    checkin_days: list[date]


def _checkin(runner_id: int, day: date, i: int, n: int) -> CheckInRow:
    pain_free = i >= n - 7  # the last seven check-ins have no pain at all
    level = 8 if i < 6 else (10 if i < n - 5 else 13)
    outcome = "skipped" if i == 2 else ("shorter" if i == 4 else "done")
    minutes = 0 if outcome == "skipped" else 20 + i
    return CheckInRow(
        runner_id=runner_id,
        day=day,
        outcome=outcome,
        minutes=minutes,
        pain_during=0 if pain_free else 1 + i % 3,
        pain_after=0 if pain_free else i % 2 + 1,
        sharp_or_limp=i == 5,
        stiffness=i % 4,
        swelling="mild" if i == 1 else "none",
        rpe=3 + i % 3,
        mood=4,
        sleep_hours=7.5 if i % 2 else None,
        note=NOTE if i == 3 else None,
        level=level,
        created_at=datetime(2026, 1, 1, tzinfo=UTC) + timedelta(days=i, hours=18),
    )


async def seed_runner(
    db: Database,
    user_id: int,
    *,
    language: str | None = None,
    checkins: bool = True,
    today: date = TODAY,
    consent_at: datetime = datetime(2026, 1, 20, tzinfo=UTC),
) -> Seeded:
    """An active runner (calf strain, left) with five weeks of records in every table."""
    async with db.session() as session:
        runner = Runner(
            telegram_user_id=user_id,
            chat_id=user_id,
            language=language,
            status="active",
            injury="calf_strain",
            side="left",
            injury_date=today - timedelta(days=60),
            level=13,
            level_since=today - timedelta(days=8),
            consent_at=consent_at,
            preferred_days="0,2,4",
        )
        session.add(runner)
        await session.flush()
        rid = runner.id
        days = [today - timedelta(days=33 - 2 * i) for i in range(17)] if checkins else []
        session.add_all(_checkin(rid, d, i, len(days)) for i, d in enumerate(days))
        session.add_all(
            MorningCheckRow(
                runner_id=rid,
                day=d + timedelta(days=1),
                run_day=d,
                pain=("better", "same", "worse")[i % 3],
                stiffness="same",
                swelling="none",
            )
            for i, d in enumerate(days[::3])
        )
        for day, level, stage, session_day in (
            (today - timedelta(days=34), 8, 2, today - timedelta(days=33)),
            (today - timedelta(days=16), 12, 3, today - timedelta(days=15)),
            (today - timedelta(days=8), 13, 3, today),
        ):
            session.add(
                DecisionRow(
                    runner_id=rid,
                    day=day,
                    action="progress",
                    level=level,
                    stage=stage,
                    session_date=session_day,
                    check_again="24h",
                    check_again_date=session_day + timedelta(days=1),
                    reasons=[{"code": "green_sessions", "values": {"n": 2}}],
                )
            )
        session.add(
            ReassessmentRow(
                runner_id=rid,
                day=today - timedelta(days=3),
                heel_raises_left=18,
                heel_raises_right=25,
                hops_left=10,
                hops_right=12,
                hop_pain=1,
                knee_to_wall_left_cm=9.5,
                knee_to_wall_right_cm=11.0,
                morning_stiffness_min=5,
                walk_pain=0,
                readiness=48,
                gates=[
                    {"code": "heel_raises", "passed": False, "reps": 18},
                    {"code": "hops_pain_free", "passed": True},
                ],
            )
        )
        session.add(RedFlagRow(runner_id=rid, day=today - timedelta(days=34), flags=""))
        session.add(RedFlagRow(runner_id=rid, day=today - timedelta(days=20), flags="night_pain"))
        session.add(ConversationRow(runner_id=rid, name="", step="", answers={"x": 1}))
        session.add(  # what the plan said for a day (issue 22)
            PlanDayRow(
                runner_id=rid,
                day=today,
                kind="continuous",
                session=True,
                total_minutes=30,
                running_minutes=20,
                level=13,
            )
        )
        session.add(InboxRow(runner_id=rid, key="msg:seed:1"))
        session.add(  # a run recording sent from a watch (issue 17)
            ActivityFileRow(
                runner_id=rid,
                sha256="0" * 64,
                format="fit",
                day=today - timedelta(days=1),
                started_at=datetime.combine(today - timedelta(days=1), datetime.min.time(), UTC),
                elapsed_s=1800,
                moving_s=1790,
                running_s=1200,
                distance_m=4500.0,
            )
        )
        session.add(DeliveryRow(runner_id=rid, kind="prompt", local_date=today, status="sent"))
        # a reply the sender has let go of (not pending, so never sent by the tests' bots)
        session.add(
            OutboxRow(
                runner_id=rid,
                bot_id=1,
                chat_id=user_id,
                method="send",
                payload={"text": "seed", "keyboard": None},
                status="dropped",
                attempts=0,
            )
        )
    return Seeded(rid, len(days), days)


async def records_of(db: Database, runner_id: int) -> store.Records:
    async with db.session() as session:
        return await store.load_records(session, runner_id)


# ---------------------------------------------------------------- /progress
async def test_progress_sends_a_png_of_the_runners_checkins(double, db, clock: Clock):
    seeded = await seed_runner(db, 2101)
    async with running_bot(double, db, clock=clock):
        [photo] = await Chat(double, 2101).say("/progress")
    assert photo.method == "sendPhoto"
    assert photo.photo is not None and photo.photo.startswith(PNG_SIGNATURE)

    # The photo is exactly the chart of this runner's check-ins...
    records = await records_of(db, seeded.runner_id)
    first, last = progress.chart_window(TODAY, seeded.checkin_days[0])
    data = progress.chart_data(records, first, last)
    assert photo.photo == render_progress_chart(data, translator("en"))
    # ...which has one bar per day with a check-in, each as long as the minutes run.
    assert (first, last) == (seeded.checkin_days[0], TODAY)
    running = bars_of(build_figure(data, translator("en")))
    assert len(running) == seeded.checkins == 17
    assert running == [reports.measures.running_minutes(c) for c in records.checkins]
    assert running[2] == 0  # the skipped session

    caption = photo.plain_text or ""
    assert "17 check-ins" in caption
    assert "Started at stage 2: Walk/run intervals" in caption
    assert "Reached stage 3: Continuous easy running" in caption
    assert "First 10 minutes of continuous running" in caption
    assert "First pain-free week" in caption


def bars_of(fig) -> list[float]:
    for ax in fig.axes:
        for container in ax.containers:
            if container.get_label() == RUN_BARS:
                return [p.get_height() for p in container.patches]
    raise AssertionError("no bars")


async def test_progress_with_no_checkins_says_so(double, db, clock: Clock):
    await seed_runner(db, 2102, checkins=False)
    async with running_bot(double, db, clock=clock):
        [reply] = await Chat(double, 2102).say("/progress")
        [fresh] = await Chat(double, 2103).say("/progress")  # a runner never seen before
    for message in (reply, fresh):
        assert message.method == "sendMessage" and message.photo is None
    assert "Nothing to chart yet" in (reply.text or "")
    assert "Send /start to begin" in (fresh.text or "")  # no plan yet: /start first


async def test_progress_in_russian_uses_russian_dates(double, db, clock: Clock):
    seeded = await seed_runner(db, 2104, language="ru")
    async with running_bot(double, db, clock=clock):
        [photo] = await Chat(double, 2104, language="ru").say("/progress")
    records = await records_of(db, seeded.runner_id)
    first, last = progress.chart_window(TODAY, seeded.checkin_days[0])
    expected = render_progress_chart(progress.chart_data(records, first, last), translator("ru"))
    assert photo.photo == expected
    assert "мар" in (photo.text or "")  # "2 мар." in the caption's date range


# ---------------------------------------------------------------- milestones
def _row(day: date, pain: int = 0, level: int = 8, outcome: str = "done") -> CheckInRow:
    return CheckInRow(
        day=day, outcome=outcome, minutes=20, pain_during=pain, pain_after=pain, level=level
    )


def test_first_pain_free_week_needs_seven_days_and_two_checkins():
    d = TODAY - timedelta(days=30)
    only_one = [_row(d, pain=2), _row(d + timedelta(days=3))]
    assert progress.first_pain_free_week(only_one, TODAY) is None
    rows = [_row(d, pain=2), _row(d + timedelta(days=2)), _row(d + timedelta(days=5))]
    # the window starting the day after the painful session is the first pain-free one
    assert progress.first_pain_free_week(rows, TODAY) == d + timedelta(days=7)
    # a week that has not ended yet does not count
    recent = [_row(TODAY - timedelta(days=2)), _row(TODAY)]
    assert progress.first_pain_free_week(recent, TODAY) is None


def test_first_continuous_ten_minutes_uses_the_ladder():
    walk_run = _row(TODAY - timedelta(days=4), level=11)  # 4 min run / 1 min walk
    shorter = _row(TODAY - timedelta(days=2), level=12, outcome="shorter")
    ten = _row(TODAY - timedelta(days=1), level=12)  # 10 min continuous, done in full
    assert progress.first_continuous_run([walk_run, shorter]) is None
    assert progress.first_continuous_run([walk_run, shorter, ten]) == ten.day


def test_stage_milestones_come_from_decisions():
    def decision(day: date, stage: int) -> DecisionRow:
        return DecisionRow(day=day, stage=stage, level=0, action="progress")

    records = store.Records(
        decisions=[
            decision(TODAY - timedelta(days=20), 1),
            decision(TODAY - timedelta(days=15), 2),
            decision(TODAY - timedelta(days=10), 1),  # a step back is no milestone
            decision(TODAY - timedelta(days=5), 2),  # nor is reaching stage 2 again
            decision(TODAY - timedelta(days=1), 3),
        ]
    )
    found = [(m.kind, m.stage) for m in progress.milestones(records, TODAY)]
    assert found == [("start", 1), ("stage", 2), ("stage", 3)]
    changes = progress.stage_changes(records.decisions)
    assert [c.stage for c in changes] == [1, 2, 1, 2, 3]


def test_chart_window_starts_at_the_first_checkin_or_14_days_back():
    assert progress.chart_window(TODAY, None) == (TODAY - timedelta(days=13), TODAY)
    assert progress.chart_window(TODAY, TODAY) == (TODAY - timedelta(days=13), TODAY)
    assert progress.chart_window(TODAY, TODAY - timedelta(days=2)) == (
        TODAY - timedelta(days=13),
        TODAY,
    )
    assert progress.chart_window(TODAY, TODAY - timedelta(days=20))[0] == TODAY - timedelta(days=20)
    assert progress.chart_window(TODAY, TODAY - timedelta(days=40))[0] == TODAY - timedelta(days=40)
    assert progress.chart_window(TODAY, TODAY - timedelta(days=400))[0] == (
        TODAY - timedelta(days=55)
    )


# ---------------------------------------------------------------- /history
async def test_history_lists_the_last_14_days(double, db, clock: Clock):
    await seed_runner(db, 2105)
    async with running_bot(double, db, clock=clock):
        [reply] = await Chat(double, 2105).say("/history")
    lines = (reply.plain_text or "").splitlines()
    assert lines[0] == "The last 14 days"
    days = [line for line in lines[2:] if " — " in line]
    assert len(days) == 14
    # today: the session the plan has, still to come
    assert days[0].startswith("Mon, Mar 2 — planned today: Continuous easy run, 30 min")
    assert days[1].startswith(
        "Sun, Mar 1 — Session done, 36 min, pain 0 during / 0 after, effort"
    )
    assert days[2].startswith("Sat, Feb 28 — rest day")
    assert days[-1].startswith("Tue, Feb 17")


async def test_history_for_a_new_runner_and_in_russian(double, db, clock: Clock):
    await seed_runner(db, 2106, language="ru")
    async with running_bot(double, db, clock=clock):
        [ru] = await Chat(double, 2106, language="ru").say("/history")
        [new] = await Chat(double, 2107).say("/history")
    assert "пн, 2 мар." in (ru.plain_text or "")
    assert "Send /start to begin" in (new.plain_text or "")  # no plan yet: /start first


async def test_the_chat_shows_an_upload_while_a_chart_or_pdf_renders(double, db, clock: Clock):
    await seed_runner(db, 2110)
    chat = Chat(double, 2110)
    async with running_bot(double, db, clock=clock):
        [photo] = await chat.say("/progress")
        pdf, csv = await chat.say("/export", count=2, timeout=30)
    assert photo.photo is not None and pdf.document is not None and csv.document is not None
    actions = [action for chat_id, action in double.chat_actions if chat_id == 2110]
    assert actions[:1] == ["upload_photo"] and "upload_document" in actions
    methods = [method for method, params in double.calls if method != "getUpdates"]
    # each action is shown before the file it announces is sent
    assert methods.index("sendChatAction") < methods.index("sendPhoto")
    first_document_action = next(
        i for i, (method, params) in enumerate(double.calls)
        if method == "sendChatAction" and params.get("action") == "upload_document"
    )
    assert first_document_action < [m for m, _ in double.calls].index("sendDocument")


async def test_history_starts_on_the_day_the_runner_signed_up(double, db, clock: Clock):
    """No "rest" for the days before sign-up: the runner had no plan then."""
    joined = datetime.combine(TODAY - timedelta(days=4), datetime.min.time(), tzinfo=UTC)
    await seed_runner(db, 2108, checkins=False, consent_at=joined.replace(hour=20))
    async with running_bot(double, db, clock=clock):
        [reply] = await Chat(double, 2108).say("/history")
    days = [line for line in (reply.plain_text or "").splitlines() if " — " in line]
    assert len(days) == 5  # today and the four days since sign-up
    en = translator("en")
    assert days[-1].startswith(en.weekday_day_month(TODAY - timedelta(days=4)))
    assert days[0].startswith(en.weekday_day_month(TODAY) + " — planned today")


async def test_history_shows_a_skipped_session_as_skipped(double, db, clock: Clock):
    seeded = await seed_runner(db, 2109, today=TODAY + timedelta(days=27))
    # the seed's third check-in (i == 2) was skipped: 33 - 4 = 29 days before "today"
    async with running_bot(double, db, clock=clock):
        [reply] = await Chat(double, 2109).say("/history")
    text = reply.plain_text or ""
    skipped_day = seeded.checkin_days[2]
    assert skipped_day == TODAY - timedelta(days=2)
    label = translator("en").weekday_day_month(skipped_day)
    assert label + " — Session skipped" in text
    assert "pain 0 during" not in text.split(label)[1].splitlines()[0]
