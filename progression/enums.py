"""Enumerations shared by the progression core. Values are stable wire strings."""

from __future__ import annotations

from enum import StrEnum


class Injury(StrEnum):
    CALF_STRAIN = "calf_strain"
    HAMSTRING_STRAIN = "hamstring_strain"
    QUAD_STRAIN = "quad_strain"
    ACHILLES = "achilles_tendinopathy"
    PATELLAR = "patellar_tendinopathy"
    ANKLE_SPRAIN = "ankle_sprain"
    PLANTAR_FASCIITIS = "plantar_fasciitis"
    SHIN_PAIN = "shin_pain"
    OTHER = "other"


class Side(StrEnum):
    LEFT = "left"
    RIGHT = "right"
    BOTH = "both"


class RedFlag(StrEnum):
    CLOT_SIGNS = "clot_signs"  # one-sided calf pain + swelling/warmth/redness, constant pain
    CHEST_OR_BREATH = "chest_or_breath"  # emergency
    CANNOT_BEAR_WEIGHT = "cannot_bear_weight"  # cannot take 4 steps
    BONY_TENDERNESS = "bony_tenderness"  # Ottawa points / pinpoint bone tenderness
    NUMB_TINGLING = "numb_tingling"  # intense pain with numbness/tingling
    NIGHT_PAIN = "night_pain"  # pain that wakes at night


class Outcome(StrEnum):
    DONE = "done"
    SHORTER = "shorter"
    SKIPPED = "skipped"
    CROSS = "cross"
    OVER = "over"  # measured well over the plan (overrun.py): its load counts, never green


class Swelling(StrEnum):
    NONE = "none"
    MILD = "mild"
    VISIBLE = "visible"


class Compare(StrEnum):
    BETTER = "better"
    SAME = "same"
    WORSE = "worse"


class Action(StrEnum):
    PROGRESS = "progress"
    REPEAT = "repeat"
    STEP_BACK = "step_back"
    REST = "rest"
    REFER = "refer"


class CheckAgain(StrEnum):
    H24 = "24h"
    H48 = "48h"
    WEEKLY = "weekly"
    CLINICIAN = "clinician"


class SessionKind(StrEnum):
    REST = "rest"
    CROSS = "cross"
    WALK = "walk"
    WALK_RUN = "walk_run"
    CONTINUOUS = "continuous"
    BUILD = "build"
    INTENSITY = "intensity"
    STRENGTH = "strength"


class ReasonCode(StrEnum):
    """Machine-readable reasons. Keys of `Reason.values` are listed in docs/protocol.md."""

    # onboarding
    STARTING_LEVEL = "starting_level"
    REST_OR_DAILY_PAIN = "rest_or_daily_pain"
    REST_PAIN_SETTLED = "rest_pain_settled"  # back from a protect spell, one level lower
    # red flags
    RED_FLAG = "red_flag"
    RED_FLAG_CLEARED = "red_flag_cleared"  # a clinician cleared the runner: restart lower
    BONE_STRESS_SUSPECTED = "bone_stress_suspected"
    CLINICIAN_REVIEW_ADVISED = "clinician_review_advised"  # escalation, not a referral
    # escalation while a care-team member holds or caps the plan: the member is told instead
    CARE_TEAM_REVIEW = "care_team_review"
    # session symptoms
    SHARP_OR_LIMP = "sharp_or_limp"
    PAIN_DURING_OVER_CEILING = "pain_during_over_ceiling"
    PAIN_AFTER_OVER_CEILING = "pain_after_over_ceiling"
    PAIN_ACCEPTABLE_ZONE = "pain_acceptable_zone"
    SORENESS_AFTER = "soreness_after"
    SWELLING_AFTER_SESSION = "swelling_after_session"
    SYMPTOMS_AFTER_PROGRESS = "symptoms_after_progress"
    SPLIT_SESSION = "split_session"
    # next morning
    NOT_SETTLED_NEXT_MORNING = "not_settled_next_morning"
    WORSE_ON_WAKING = "worse_on_waking"  # half a step back, checked again after 48 h
    NOT_SETTLED_AFTER_48H = "not_settled_after_48h"  # still not settled: one level lower
    MORNING_CHECK_PENDING = "morning_check_pending"
    MORNING_CHECK_MISSING = "morning_check_missing"  # overdue by more than a day: said so
    SESSION_OVER_PLAN = "session_over_plan"  # no progress until the morning after is settled
    # longer-running symptoms
    SWELLING_72H = "swelling_72h"
    NIGHT_PAIN = "night_pain"
    NIGHT_PAIN_RESOLVED = "night_pain_resolved"
    WORSENING_TREND = "worsening_trend"
    # gaps
    GAP_7_DAYS = "gap_7_days"
    GAP_14_DAYS = "gap_14_days"
    GAP_28_DAYS = "gap_28_days"  # back to the walk/run entry and a reassessment
    # progression
    GREEN_SESSIONS = "green_sessions"
    MORE_GREEN_SESSIONS_NEEDED = "more_green_sessions_needed"
    MAX_LEVELS_PER_WEEK = "max_levels_per_week"
    WEEKLY_MINUTES_CAP = "weekly_minutes_cap"
    DELOAD_WEEK = "deload_week"
    GATE_PASSED = "gate_passed"
    GATE_FAILED = "gate_failed"
    REASSESSMENT_NEEDED = "reassessment_needed"
    STAGE_STABILITY_NEEDED = "stage_stability_needed"
    TOP_OF_LADDER = "top_of_ladder"
    POOR_RECOVERY = "poor_recovery"
    # scheduling
    NO_BACK_TO_BACK = "no_back_to_back"
    RUNS_PER_WEEK_LIMIT = "runs_per_week_limit"
    RECOVERY_DAY = "recovery_day"
    EASY_BETWEEN_HARD = "easy_between_hard"
    NO_RUN_ON_STEP_BACK_DAY = "no_run_on_step_back_day"  # running resumes tomorrow at the earliest
    RECENT_WARNING_PAIN = "recent_warning_pain"  # no progress within 48 h of warning pain
    DAILY_PAIN_LOW = "daily_pain_low"  # low daily pain: hold the stage, no reset
    # the runner's care team (a physio or coach the runner invited)
    CARE_TEAM_HOLD = "care_team_hold"  # a member holds the plan: no moving up until resumed
    STAGE_CAP = "stage_cap"  # a member capped the stage: no level above it


class Cue(StrEnum):
    FLAT_SURFACE = "flat_surface"  # flat, forgiving surface
    CADENCE = "cadence"  # 170-180 steps/min, short quick steps
    TALK_TEST = "talk_test"  # able to speak in full sentences
    EASY_PACE = "easy_pace"  # conversational, RPE <= 4
    BRISK_WALK = "brisk_walk"
    STOP_IF_SHARP = "stop_if_sharp"  # sharp pain, limp or rising pain: stop
    PAIN_CEILING = "pain_ceiling"  # keep pain at or below the injury's ceiling
    WARM_UP = "warm_up"
    COOL_DOWN = "cool_down"
    SPLIT_SESSION = "split_session"  # two shorter sessions 6-8 h apart
    CROSS_TRAIN = "cross_train"  # cycling, swimming, pool running
    MOBILITY = "mobility"
    RECOVERY_DAY = "recovery_day"
    FULL_REST = "full_rest"
    SEE_CLINICIAN = "see_clinician"
    EMERGENCY = "emergency"  # call emergency services now
    NO_SPRINTS = "no_sprints"  # hamstring: no sprinting before the last stage
    AVOID_HILLS = "avoid_hills"  # calf/Achilles: hills load the calf
    AVOID_DOWNHILL = "avoid_downhill"  # patellar/quad: downhill loads the knee
    EVEN_GROUND = "even_ground"  # ankle sprain: avoid uneven ground
    SUPPORTIVE_SHOES = "supportive_shoes"  # plantar fasciitis
    BONE_PAIN_STOP = "bone_pain_stop"  # shin: pinpoint bone pain means stop and refer
    REDUCED_SESSION = "reduced_session"  # half step back version
    CAPPED_SESSION = "capped_session"  # shortened to respect the weekly running cap


class Exercise(StrEnum):
    ISOMETRIC_CALF = "isometric_calf"
    ISOMETRIC_QUAD = "isometric_quad"
    ISOMETRIC_HAMSTRING = "isometric_hamstring"
    CALF_RAISE_DOUBLE = "calf_raise_double"
    CALF_RAISE_SINGLE = "calf_raise_single"
    BENT_KNEE_CALF_RAISE = "bent_knee_calf_raise"
    ECCENTRIC_CALF = "eccentric_calf"
    TIBIALIS_RAISE = "tibialis_raise"
    TOE_CURL = "toe_curl"
    ANKLE_MOBILITY = "ankle_mobility"
    WALL_SIT = "wall_sit"
    SPANISH_SQUAT = "spanish_squat"
    STEP_UP = "step_up"
    STEP_DOWN = "step_down"
    SPLIT_SQUAT = "split_squat"
    SINGLE_LEG_SQUAT = "single_leg_squat"
    HAMSTRING_BRIDGE = "hamstring_bridge"
    SINGLE_LEG_BRIDGE = "single_leg_bridge"
    NORDIC_ECCENTRIC = "nordic_eccentric"
    HIP_ABDUCTION = "hip_abduction"
    SIDE_PLANK = "side_plank"
    SINGLE_LEG_BALANCE = "single_leg_balance"
    POGO_HOPS = "pogo_hops"


class GateCode(StrEnum):
    DAILY_ACTIVITIES = "daily_activities"
    NO_SWELLING = "no_swelling"
    HEEL_RAISES = "heel_raises"
    LIMB_SYMMETRY = "limb_symmetry"
    HOPS_PAIN_FREE = "hops_pain_free"
    SINGLE_LEG_SQUAT = "single_leg_squat"
    MORNING_STIFFNESS = "morning_stiffness"
    WALK_TEST = "walk_test"
    KNEE_TO_WALL = "knee_to_wall"
    READINESS = "readiness"
