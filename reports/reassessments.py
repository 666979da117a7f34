"""A reassessment's results as the report prints them: each result, or "not tested"."""

from __future__ import annotations

from locales import Translator
from reports.labels import NOT_TESTED, SWELLING, label
from storage.models import ReassessmentRow


# ---------------------------------------------------------------- reassessment helpers
def symmetry(side: str | None, left: float | None, right: float | None) -> float | None:
    """Limb symmetry index: the injured side as a fraction of the other (weaker/stronger when
    both sides are injured or the side is unknown)."""
    if left is None or right is None:
        return None
    if side == "left":
        injured, other = left, right
    elif side == "right":
        injured, other = right, left
    else:
        injured, other = min(left, right), max(left, right)
    if other <= 0:
        return None
    return injured / other


def gate_results(row: ReassessmentRow) -> dict[str, list[str]]:
    """The stored gates by result: "passed", "failed", "untested". A gate stored with
    ``"tested": 0`` was not asked or measured: never passed, whatever else it says."""
    results: dict[str, list[str]] = {"passed": [], "failed": [], "untested": []}
    for gate in row.gates or []:
        if not isinstance(gate, dict) or "code" not in gate:
            continue
        if gate.get("tested") == 0:
            key = "untested"
        else:
            key = "passed" if gate.get("passed") else "failed"
        results[key].append(str(gate["code"]))
    return results


def gate_lists(row: ReassessmentRow) -> tuple[list[str], list[str]]:
    results = gate_results(row)
    return results["passed"], results["failed"]



def result_lines(tr: Translator, side: str | None, r: ReassessmentRow) -> list[tuple[str, str]]:
    """A reassessment's results, each "not tested" when it was not asked or measured."""
    _ = tr.gettext
    not_tested = _(NOT_TESTED)

    def pair(left: float | None, right: float | None, unit: str = "") -> str:
        if left is None or right is None:
            return not_tested
        text = (
            _("left {left}, right {right}").format(left=tr.number(left), right=tr.number(right))
            + unit
        )
        lsi = symmetry(side, left, right)
        if lsi is not None:
            text += " · " + _("symmetry {percent}").format(percent=tr.percent(lsi))
        return text

    def pain(value: int | None) -> str:
        return f"{value}/10" if value is not None else not_tested

    rest = getattr(r, "rest_pain", None)
    daily = getattr(r, "daily_pain", None)
    swelling = getattr(r, "swelling", None)
    out = [
        (_("Single-leg heel raises"), pair(r.heel_raises_left, r.heel_raises_right)),
        (_("Single-leg hops"), pair(r.hops_left, r.hops_right)),
        (_("Pain on hopping"), pain(r.hop_pain)),
        (_("30-minute walk, pain"), pain(r.walk_pain)),
        (
            _("Morning stiffness"),
            _("{n} min").format(n=r.morning_stiffness_min)
            if r.morning_stiffness_min is not None
            else not_tested,
        ),
    ]
    if r.knee_to_wall_left_cm is not None or r.knee_to_wall_right_cm is not None:
        out.append(
            (
                _("Knee to wall"),
                pair(r.knee_to_wall_left_cm, r.knee_to_wall_right_cm, " " + _("cm")),
            )
        )
    if daily is not None or rest is not None:
        out.append((_("Pain in daily life / at rest"), f"{pain(daily)} / {pain(rest)}"))
    if swelling is not None:
        out.append((_("Swelling"), label(tr, SWELLING, str(swelling))))
    out.append((_("Readiness"), f"{r.readiness}/60" if r.readiness is not None else not_tested))
    return out
