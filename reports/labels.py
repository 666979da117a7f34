"""The msgids that name progression's codes and the stored records' codes (stages, injuries,
session kinds, cues, exercises, gates, outcomes, statuses, red flags). Every enum value
progression can emit has one here; a test checks that none is missing."""

from __future__ import annotations

from collections.abc import Mapping

from locales import N_, Translator
from progression import Cue, Exercise, GateCode, Injury, SessionKind

STAGES = (
    N_("Protect"),
    N_("Walk"),
    N_("Walk/run intervals"),
    N_("Continuous easy running"),
    N_("Building volume"),
    N_("Reintroducing intensity"),
)

INJURIES: Mapping[Injury, str] = {
    Injury.CALF_STRAIN: N_("Calf strain"),
    Injury.HAMSTRING_STRAIN: N_("Hamstring strain"),
    Injury.QUAD_STRAIN: N_("Quadriceps strain"),
    Injury.ACHILLES: N_("Achilles tendinopathy"),
    Injury.PATELLAR: N_("Patellar tendinopathy"),
    Injury.ANKLE_SPRAIN: N_("Ankle sprain"),
    Injury.PLANTAR_FASCIITIS: N_("Plantar fasciitis"),
    Injury.SHIN_PAIN: N_("Shin pain"),
    Injury.OTHER: N_("Another soft-tissue injury"),
}

KINDS: Mapping[SessionKind, str] = {
    SessionKind.REST: N_("Rest day"),
    SessionKind.CROSS: N_("Cross-training"),
    SessionKind.WALK: N_("Brisk walk"),
    SessionKind.WALK_RUN: N_("Walk/run intervals"),
    SessionKind.CONTINUOUS: N_("Continuous easy run"),
    SessionKind.BUILD: N_("Easy run"),
    SessionKind.INTENSITY: N_("Run with quality work"),
    SessionKind.STRENGTH: N_("Strength and mobility"),
}

ACTIVITIES: Mapping[str, str] = {
    "run": N_("run"),
    "walk": N_("walk"),
    "stride": N_("stride"),
    "hill": N_("uphill run"),
    "tempo": N_("tempo run"),
    "sprint": N_("sprint"),
    "easy": N_("easy run"),
    "cross": N_("cycling, swimming or pool running"),
    "jog": N_("jog"),
}

CUES: Mapping[Cue, str] = {
    Cue.FLAT_SURFACE: N_("Choose a flat, forgiving surface (track, path, grass)."),
    Cue.CADENCE: N_("Short, quick steps: about 170-180 steps a minute."),
    Cue.TALK_TEST: N_("Keep it easy enough to talk in full sentences."),
    Cue.EASY_PACE: N_("Conversational pace: effort no higher than 4 out of 10."),
    Cue.BRISK_WALK: N_("Walk briskly, as if you were a little late."),
    Cue.STOP_IF_SHARP: N_("Stop if the pain turns sharp, keeps rising, or makes you limp."),
    Cue.PAIN_CEILING: N_("Keep the pain at or below your limit during the session."),
    Cue.WARM_UP: N_("Warm up with 5 minutes of walking."),
    Cue.COOL_DOWN: N_("Cool down with a few minutes of easy walking."),
    Cue.SPLIT_SESSION: N_(
        "If symptoms start partway, split it into two shorter sessions 6-8 hours apart."
    ),
    Cue.CROSS_TRAIN: N_(
        "Cycling, swimming or pool running keep your fitness without loading the injury."
    ),
    Cue.MOBILITY: N_("Add gentle mobility for hips, ankles and calves."),
    Cue.RECOVERY_DAY: N_("Recovery day: easy movement only."),
    Cue.FULL_REST: N_("Full rest until the symptoms settle."),
    Cue.SEE_CLINICIAN: N_("Please see a doctor or physiotherapist before training again."),
    Cue.EMERGENCY: N_("Call emergency services now."),
    Cue.NO_SPRINTS: N_("No sprinting yet: it comes only in the last stage."),
    Cue.AVOID_HILLS: N_("Avoid hills for now: they load the calf and Achilles."),
    Cue.AVOID_DOWNHILL: N_("Avoid running downhill for now: it loads the knee."),
    Cue.EVEN_GROUND: N_("Stay on even ground to protect the ankle."),
    Cue.SUPPORTIVE_SHOES: N_("Wear supportive, cushioned shoes."),
    Cue.BONE_PAIN_STOP: N_("Pinpoint pain on the bone means stop and see a clinician."),
    Cue.REDUCED_SESSION: N_("This is a slightly shorter version while your body settles."),
    Cue.CAPPED_SESSION: N_("Shortened so this week's running stays within a safe increase."),
}

EXERCISES: Mapping[Exercise, str] = {
    Exercise.ISOMETRIC_CALF: N_("Calf hold (isometric heel raise)"),
    Exercise.ISOMETRIC_QUAD: N_("Quadriceps hold (wall sit or knee extension hold)"),
    Exercise.ISOMETRIC_HAMSTRING: N_("Hamstring hold (heel press into the floor)"),
    Exercise.CALF_RAISE_DOUBLE: N_("Heel raises on both legs"),
    Exercise.CALF_RAISE_SINGLE: N_("Single-leg heel raises"),
    Exercise.BENT_KNEE_CALF_RAISE: N_("Bent-knee heel raises"),
    Exercise.ECCENTRIC_CALF: N_("Slow lowering heel drops (eccentric calf)"),
    Exercise.TIBIALIS_RAISE: N_("Toe raises (front of shin)"),
    Exercise.TOE_CURL: N_("Towel toe curls"),
    Exercise.ANKLE_MOBILITY: N_("Ankle mobility (knee to wall)"),
    Exercise.WALL_SIT: N_("Wall sit"),
    Exercise.SPANISH_SQUAT: N_("Spanish squat"),
    Exercise.STEP_UP: N_("Step-ups"),
    Exercise.STEP_DOWN: N_("Slow step-downs"),
    Exercise.SPLIT_SQUAT: N_("Split squats"),
    Exercise.SINGLE_LEG_SQUAT: N_("Single-leg squats"),
    Exercise.HAMSTRING_BRIDGE: N_("Hamstring bridge"),
    Exercise.SINGLE_LEG_BRIDGE: N_("Single-leg bridge"),
    Exercise.NORDIC_ECCENTRIC: N_("Nordic hamstring lowers (assisted)"),
    Exercise.HIP_ABDUCTION: N_("Side-lying hip abduction"),
    Exercise.SIDE_PLANK: N_("Side plank"),
    Exercise.SINGLE_LEG_BALANCE: N_("Single-leg balance"),
    Exercise.POGO_HOPS: N_("Small pogo hops"),
}

GATES: Mapping[GateCode, str] = {
    GateCode.DAILY_ACTIVITIES: N_("Daily activities without pain"),
    GateCode.NO_SWELLING: N_("No swelling"),
    GateCode.HEEL_RAISES: N_("Single-leg heel raises"),
    GateCode.LIMB_SYMMETRY: N_("Both legs about equally strong"),
    GateCode.HOPS_PAIN_FREE: N_("Single-leg hops without pain"),
    GateCode.SINGLE_LEG_SQUAT: N_("Single-leg squats"),
    GateCode.MORNING_STIFFNESS: N_("Morning stiffness under 10 minutes"),
    GateCode.WALK_TEST: N_("30-minute brisk walk without pain"),
    GateCode.KNEE_TO_WALL: N_("Ankle mobility (knee to wall)"),
    GateCode.READINESS: N_("Feeling ready to run"),
}

# A reason's text: a msgid, or (the value that counts, a plural msgid pair).

# Labels of stored codes (the report's, /history's and the care team's).
SIDES: Mapping[str, str] = {"left": N_("Left"), "right": N_("Right"), "both": N_("Both")}
OUTCOMES: Mapping[str, str] = {
    "done": N_("Session done"),
    "shorter": N_("Shorter session"),
    "skipped": N_("Session skipped"),
    "cross": N_("Cross-training"),
    "over": N_("Well over the plan"),
}
SWELLING: Mapping[str, str] = {
    "none": N_("no swelling"),
    "mild": N_("mild swelling"),
    "visible": N_("visible swelling"),
}
MORNING: Mapping[str, str] = {
    "better": N_("better next morning"),
    "same": N_("same next morning"),
    "worse": N_("worse next morning"),
}
ACTIONS: Mapping[str, str] = {
    "progress": N_("Moved up"),
    "repeat": N_("Repeated"),
    "step_back": N_("Stepped back"),
    "rest": N_("Rest"),
    "refer": N_("Referred to a clinician"),
}
STATUSES: Mapping[str, str] = {
    "new": N_("Setting up"),
    "active": N_("Active"),
    "paused": N_("Paused"),
    "referred": N_("Plan stopped: referred to a clinician"),
    "held": N_("Held by the care team"),
    "capped": N_("Stage capped by the care team"),
}
RED_FLAGS: Mapping[str, str] = {
    "clot_signs": N_("Signs of a blood clot in the leg"),
    "chest_or_breath": N_("Chest pain or sudden breathlessness"),
    "cannot_bear_weight": N_("Could not bear weight"),
    "bony_tenderness": N_("Pinpoint bone tenderness"),
    "numb_tingling": N_("Intense pain with numbness or tingling"),
    "night_pain": N_("Night pain"),
}
NOT_TESTED = N_("not tested")
# A check-in after a symptom-free session does not ask stiffness and swelling (stored NULL)
NOT_ASKED = N_("not asked")

NOT_A_DIAGNOSIS = N_(
    "runcoach is a running coach, not a clinician: nothing in this report is a diagnosis. "
    "All values are reported by the runner (pain on a 0-10 scale, effort as RPE 0-10)."
)


INJURY_CODES: Mapping[str, str] = {k.value: v for k, v in INJURIES.items()}
GATE_CODES: Mapping[str, str] = {k.value: v for k, v in GATES.items()}


def label(tr: Translator, table: Mapping[str, str], code: str | None) -> str:
    """The translated label of a stored code (the code itself when it is unknown)."""
    if not code:
        return "–"
    msgid = table.get(code)
    return tr.gettext(msgid) if msgid else code


def stage_name(tr: Translator, stage: int) -> str:
    return tr.gettext(STAGES[max(0, min(stage, len(STAGES) - 1))])


# ---------------------------------------------------------------- a morning check, as answered
MORNING_ALL_GOOD = N_("all good")
MORNING_COMPARE: Mapping[str, str] = {
    "better": N_("better"),
    "same": N_("as usual"),
    "worse": N_("worse"),
}


def morning_words(tr: Translator, m: object) -> str:
    """A morning check as the runner answered it: "all good", or what changed."""
    pain = str(getattr(m, "pain", ""))
    stiffness = str(getattr(m, "stiffness", ""))
    swelling = str(getattr(m, "swelling", "none"))
    night = bool(getattr(m, "night_pain", False))
    if pain == "same" and stiffness == "same" and swelling == "none" and not night:
        return tr.gettext(MORNING_ALL_GOOD)
    parts = [
        tr.gettext("pain {how}").format(how=label(tr, MORNING_COMPARE, pain)),
        tr.gettext("stiffness {how}").format(how=label(tr, MORNING_COMPARE, stiffness)),
    ]
    if swelling != "none":
        parts.append(label(tr, SWELLING, swelling))
    if night:
        parts.append(tr.gettext("woke with pain at night"))
    return ", ".join(parts)
