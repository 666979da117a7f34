"""runcoach progression core: pure, deterministic return-to-run decisions.

No telegram, no database, no clock, no I/O: a History and today's date go in, a Decision
with machine-readable reasons comes out. See docs/protocol.md.
"""

from .decide import decide
from .enums import (
    Action,
    CheckAgain,
    Compare,
    Cue,
    Exercise,
    GateCode,
    Injury,
    Outcome,
    ReasonCode,
    RedFlag,
    SessionKind,
    Side,
    Swelling,
)
from .gates import evaluate_gates
from .injuries import RULES, InjuryRules, rules_for
from .ladder import (
    LADDER,
    MAX_LEVEL,
    STAGE_NAMES,
    LevelSpec,
    first_level_of_stage,
    is_strength_day,
    prescription_for,
    running_minutes_of,
    stage_of,
    strength_block,
)
from .load import WeekLoad, acwr, running_minutes_done, session_load, weekly_loads
from .models import (
    CheckIn,
    DayPlan,
    Decision,
    Gate,
    History,
    LevelChange,
    MorningCheck,
    PastDecision,
    Prescription,
    Profile,
    Reason,
    Reassessment,
    RedFlagReport,
    Segment,
    StrengthItem,
)
from .overrun import OVER_MARGIN_MIN, OVER_MARGIN_PCT, over_plan
from .placement import start
from .red_flags import is_urgent
from .volume import weekly_cap, weekly_limit
from .week import plan_week

__all__ = [
    "LADDER",
    "MAX_LEVEL",
    "OVER_MARGIN_MIN",
    "OVER_MARGIN_PCT",
    "RULES",
    "STAGE_NAMES",
    "Action",
    "CheckAgain",
    "CheckIn",
    "Compare",
    "Cue",
    "DayPlan",
    "Decision",
    "Exercise",
    "Gate",
    "GateCode",
    "History",
    "Injury",
    "InjuryRules",
    "LevelChange",
    "LevelSpec",
    "MorningCheck",
    "Outcome",
    "PastDecision",
    "Prescription",
    "Profile",
    "Reason",
    "ReasonCode",
    "Reassessment",
    "RedFlag",
    "RedFlagReport",
    "Segment",
    "SessionKind",
    "Side",
    "StrengthItem",
    "Swelling",
    "WeekLoad",
    "acwr",
    "decide",
    "evaluate_gates",
    "first_level_of_stage",
    "is_strength_day",
    "is_urgent",
    "over_plan",
    "plan_week",
    "prescription_for",
    "rules_for",
    "running_minutes_done",
    "running_minutes_of",
    "session_load",
    "stage_of",
    "start",
    "strength_block",
    "weekly_cap",
    "weekly_limit",
    "weekly_loads",
]
