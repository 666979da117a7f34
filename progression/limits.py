"""The fixed numbers of the decision rules, in one place (docs/protocol.md, "Other fixed
numbers" and §4.12). Stage-gate numbers live in gates.py, the ladder's in ladder.py."""

from __future__ import annotations

from .ladder import first_level_of_stage

# ---- progress
MAX_UPS_PER_7_DAYS = 2
RECLIMB_DAYS = 28  # a level moved up from within this many days is climbed again on 1 green
WARNING_BLOCK_DAYS = 2  # no progress within 48 h of warning pain in any session
REASSESSMENT_MAX_AGE_DAYS = 7
RETEST_READY_DAYS = 3  # failed ready-to-run tests are retried after 3 days (other gates: 7)
STAGE4_STABLE_DAYS = 14
FULL_SHARE = 0.9  # a session counts as the level's own, done in full, from 90 % of its running
MORNING_OVERDUE_DAYS = 2  # the morning check is due the day after; overdue by more than a day
POOR_SLEEP_HOURS = 5.0
POOR_MOOD = 1

# ---- run days
MAX_RUNS_PER_WEEK = 4
STAGE5_EASY_LEVEL = first_level_of_stage(5) - 1  # the longest easy run, trimmed by the cap
QUALITY_MIN_GAP_DAYS = 3  # stage 5: at most one intensity session in any 3 days
QUALITY_EVERY_DAYS = 7  # ...and one in 7 days on 3 or fewer run days a week

# ---- days without running
GAP_ONE_LEVEL_DAYS = 7
GAP_TWO_LEVELS_DAYS = 14
GAP_RESTART_DAYS = 28  # back to the walk/run entry and a reassessment

# ---- symptoms
SWELLING_MAX_DAYS = 3  # > 72 h
RECHECK_DAYS = 2  # an unsettled morning is looked at again 48 h after the session
EVENT_MAX_AGE_DAYS = 7  # a resolved episode older than this is no longer acted on
REST_PAIN_RESET = 3  # rest pain at or above this at a reassessment: back to stage 0
TREND_WORSE_BY = 1.0  # mean weekly pain rising by >= 1 point
TREND_MIN_SESSIONS = 2
TREND_MIN_OVER_GREEN = 3  # ...with at least 3 sessions above the green limit in the 2 weeks

# ---- weekly running volume
WEEKLY_CAP_STEP_MIN = 10
WEEKLY_CAP_PCT = 10  # +10 % a week once 10 % is more than 10 min
WEEKLY_CAP_PCT_ABOVE_MIN = 60  # novices: above this weekly volume the step is min(10 min, 10 %)
WEEKLY_CAP_FLOOR_MIN = 20  # novices: baseline allowance when last week had (almost) no running
LADDER_SHARE_PCT = 75  # stages 2-3: up to 3/4 of the pre-injury weekly volume
DELOAD_FRACTION = 0.8  # a lighter week runs at most 80 % of the week before
BUILD_WEEKS_BEFORE_DELOAD = 3
MIN_CAPPED_RUN_MIN = 10

# ---- clinician review (escalation); the window also bounds night-pain episodes
ESCALATE_STEP_BACKS = 3  # step-backs in ESCALATE_WINDOW_DAYS that call for a clinician review
ESCALATE_WINDOW_DAYS = 28
ESCALATE_NO_PROGRESS_DAYS = 28
ESCALATE_MIN_SESSIONS = 4  # sessions logged in those 4 weeks (the runner was training)
