"""The runner's pain rule: one green limit (a session at or below it counts towards moving
up) and one ceiling (pain above it steps back), by tissue (progression's rules), stated in
the same words on every screen, the chart and the PDF."""

from __future__ import annotations

from dataclasses import dataclass

from progression import Injury, rules_for
from reports.reasons import Voice


@dataclass(frozen=True)
class PainRule:
    green: int
    ceiling: int


def pain_rule(injury: str | None) -> PainRule:
    """The rule for the runner's tissue (an unknown code: the general rule)."""
    try:
        rules = rules_for(Injury(injury or Injury.OTHER))
    except ValueError:
        rules = rules_for(Injury.OTHER)
    return PainRule(rules.green_pain_max, rules.pain_ceiling)


def pain_rule_text(ctx: Voice, rule: PainRule) -> str:
    """The pain rule, worded the same on every screen."""
    if rule.green == 0:
        return ctx._(
            "Pain rule: keep it pain-free; above {ceiling}/10 we step back. Any pain should "
            "settle by the next morning."
        ).format(ceiling=rule.ceiling)
    return ctx._(
        "Pain rule: aim for {green}/10 or less; above {ceiling}/10 we step back. Any pain "
        "should settle by the next morning."
    ).format(green=rule.green, ceiling=rule.ceiling)
