"""An act from the Mini App: the same conversation-level function the chat's buttons call
(conversations/care_acts.py), with the same rights (the member's link, read in this
transaction) and effects (the runner told in the same transaction), bound to the state the
page was shown for (``state``; a clearance also to the referral, ``decision``)."""

from __future__ import annotations

from typing import Any

from conversations import care_acts
from conversations.context import Ctx

HOLD_LIMIT = 300
NOTE_LIMIT = 600
BOUND = frozenset({"hold", "resume", "cap", "clear"})
OPS = BOUND | {"note", "pdf"}


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _text(ctx: Ctx, value: Any, limit: int) -> str | None:
    clean = " ".join(str(value or "").split())
    if not clean:
        ctx.say(ctx._("Please write a few words."))
        return None
    if len(clean) > limit:
        ctx.say(ctx._("Please keep it under {limit} characters.").format(limit=limit))
        return None
    return clean


async def act(ctx: Ctx, runner_id: int, body: dict[str, Any]) -> bool | None:
    """Do what the page asked; True when something changed or was sent, None when the member
    does not follow that runner. What the member is told is in ``ctx.out``; what the runner
    is told, in ``ctx.extra[OTHERS]``."""
    op = body.get("op")
    found = await care_acts.followed(ctx, runner_id)
    if found is None:
        return None
    link, runner = found
    if op not in OPS:
        ctx.say(ctx._("That question has closed."))
        return False
    stale = care_acts.stale(link, runner, _int(body.get("state")))
    if op == "clear":
        stale = stale or _int(body.get("decision")) != await care_acts.latest_decision(
            ctx, runner
        )
    if op in BOUND and stale:
        care_acts.say_stale(ctx, link)
        return False
    if op == "pdf":
        await care_acts.report(ctx, link, runner)
        return True
    if op == "note":
        text = _text(ctx, body.get("text"), NOTE_LIMIT)
        if text is None:
            return False
        care_acts.note(ctx, link, runner, text)
        return True
    if op == "hold":
        reason = _text(ctx, body.get("text"), HOLD_LIMIT)
        return reason is not None and care_acts.hold(ctx, link, runner, reason)
    if op == "resume":
        return care_acts.resume(ctx, link, runner)
    n = _int(body.get("n"))
    if n is None:
        ctx.say(ctx._("That question has closed."))
        return False
    if op == "cap":
        return care_acts.cap(ctx, link, runner, n)
    return await care_acts.clear(ctx, link, runner, n)
