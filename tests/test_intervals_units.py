"""intervals.icu's pure parts: a prescribed session as a planned workout in intervals.icu's
text syntax (intervals/workout.py), and the operator's settings (intervals/config.py)."""

from __future__ import annotations

from datetime import date

import pytest
from cryptography.fernet import Fernet

from intervals.config import ConfigError, load_config
from intervals.workout import duration, fingerprint, workout
from progression import Prescription, Segment, SessionKind

DAY = date(2026, 3, 4)


def _session(kind: SessionKind, *segments: Segment, running: int = 24) -> Prescription:
    total = round(sum(s.total_minutes for s in segments))
    return Prescription(kind=kind, level=11, stage=2, segments=segments, total_minutes=total,
                        running_minutes=running, rpe_max=4, cues=())


def _event(p: Prescription) -> dict | None:
    return workout(p, DAY, name="runcoach · Walk/run", notes="Pain rule: 2/10.",
                   label=str.capitalize, main="Main set", external_id="runcoach-1-2026-03-04")


def test_a_walk_run_session_becomes_warm_up_repeats_and_cool_down() -> None:
    p = _session(
        SessionKind.WALK_RUN,
        Segment("walk", 5),
        Segment("run", 4, repeats=6, recovery_minutes=1, recovery_activity="walk"),
        Segment("walk", 5),
    )
    event = _event(p)
    assert event is not None
    assert event["category"] == "WORKOUT" and event["type"] == "Run"
    assert event["start_date_local"] == "2026-03-04T00:00:00"
    assert event["moving_time"] == 40 * 60
    assert event["description"] == (
        "Pain rule: 2/10.\n\n"
        "Warmup\n- Walk 5m\n\n"
        "Main set 6x\n- Run 4m\n- Walk 1m\n\n"
        "Cooldown\n- Walk 5m"
    )
    changed = _event(_session(SessionKind.WALK_RUN, Segment("walk", 5),
                              Segment("run", 3, repeats=6, recovery_minutes=2,
                                      recovery_activity="walk"), Segment("walk", 5)))
    assert changed is not None and fingerprint(changed) != fingerprint(event)


def test_durations_in_intervals_icu_syntax() -> None:
    assert [duration(m) for m in (0.5, 1, 1.5, 20, 0.25)] == ["30s", "1m", "1m30s", "20m", "15s"]


def test_a_day_without_running_goes_to_no_calendar() -> None:
    assert _event(_session(SessionKind.CROSS, Segment("cross", 30), running=0)) is None
    assert _event(_session(SessionKind.REST, running=0)) is None
    assert _event(_session(SessionKind.WALK, Segment("walk", 30), running=0)) is None


def test_the_settings_come_from_the_environment(tmp_path) -> None:
    key = Fernet.generate_key().decode()
    assert load_config({}) is None  # not offered
    assert load_config({"RUNCOACH_SYNC_KEY": key}) is None  # no way to link
    with pytest.raises(ConfigError, match="RUNCOACH_SYNC_KEY"):
        load_config({"INTERVALS_CLIENT_ID": "c"})
    with pytest.raises(ConfigError, match="Fernet"):
        load_config({"RUNCOACH_SYNC_KEY": "short", "INTERVALS_ALLOW_API_KEY": "1"})
    (tmp_path / "key").write_text(key + "\n")
    (tmp_path / "secret").write_text("s3cret\n")
    config = load_config({
        "RUNCOACH_SYNC_KEY_FILE": str(tmp_path / "key"),
        "INTERVALS_CLIENT_ID": "c",
        "INTERVALS_CLIENT_SECRET_FILE": str(tmp_path / "secret"),
        "INTERVALS_REDIRECT_URL": "https://coach.example/intervals/callback",
    })
    assert config is not None and config.oauth and config.client_secret == "s3cret"
    assert config.sync_key == key.encode() and config.api_url == "https://intervals.icu"
