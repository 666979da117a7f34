"""The conversation engine: steps declared as data, state kept in the database.

A conversation (``Flow``) is a tuple of ``Step``s read top to bottom. Each answer is parsed
and validated, then saved with the next step in the same transaction as anything the answer
records. Buttons carry the conversation version, so a button from an earlier question is
recognised as stale. Nothing about a conversation lives in process memory.

The questions live in one message. A pressed button edits the message it was on (the
callback names it) into one-line summaries of the answers so far (kept in the answers as
``_lines``) and the next question; the last answer turns it into the first reply of the
end. A typed answer sits below that message, so the next question (or the reply to bad
input) is a new message and the previous one loses its buttons.
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from conversations.actions import action
from conversations.actions import data as action_data
from conversations.context import Ctx, Out
from locales import N_
from storage import outbox
from storage import runners as store

Answers = dict[str, Any]
SCHEDULED = "scheduled"  # ctx.extra flag: the update is a scheduled prompt, not the runner
LATER = "later"  # the action of the button that starts a deferred conversation
Rows = list[list[tuple[str, str]]]
# ctx.extra: the bot message whose button the runner pressed (the callback names it)
PRESSED = "pressed_message_id"
# answers key: one-line summaries of the answers shown on the living message
LINES = "_lines"
# ctx.extra flag: a typed text was not taken as an answer (its question had not reached the
# runner); the runner was told so. bot/metrics.py counts these.
NOT_TAKEN = "not_taken"
_TAG = re.compile(r"<[^>]+>")
MAX_TEXT = 3800  # characters of a living message (Telegram takes 4096 after the markup)


class Invalid(Exception):
    """An answer that does not fit; ``message`` is a msgid, ``values`` fill its placeholders."""

    def __init__(self, message: str, **values: Any) -> None:
        super().__init__(message)
        self.message = message
        self.values = values


@dataclass(frozen=True)
class Option:
    value: str
    label: str  # a msgid (translated when shown) unless literal
    literal: bool = False


@dataclass(frozen=True)
class Step:
    name: str
    ask: str | Callable[[Ctx, Answers], str]
    parse: Callable[[Ctx, str, Answers], Any]
    options: Sequence[Sequence[Option]] | Callable[[Ctx, Answers], Sequence[Sequence[Option]]] = ()
    skip_if: Callable[[Answers], bool] | None = None
    hint: str | None = None  # a msgid shown under the question (e.g. "or type a number")
    # a msgid naming the question in its answer's one-line summary (default: the question)
    summary: str | None = None


Finish = Callable[[Ctx, Answers], Awaitable[None]]


@dataclass(frozen=True)
class Flow:
    name: str
    title: str  # msgid, shown as the progress header
    steps: tuple[Step, ...]
    finish: Finish
    # after an answer: a reason to stop early and finish now
    end_if: Callable[[Answers], bool] | None = None
    # "3/7" in the header; False for a flow whose answers add or skip questions on the way
    # (its header says "question 3": a total that changes mid-way reads as a mistake)
    total_shown: bool = True
    by_name: dict[str, int] = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        self.by_name.update({s.name: i for i, s in enumerate(self.steps)})

    def step(self, name: str) -> Step | None:
        index = self.by_name.get(name)
        return None if index is None else self.steps[index]

    def next_step(self, after: str | None, answers: Answers) -> Step | None:
        start = 0 if after is None else self.by_name[after] + 1
        for step in self.steps[start:]:
            if step.name in answers:  # given up front (a button that starts the flow)
                continue
            if step.skip_if is None or not step.skip_if(answers):
                return step
        return None


FLOWS: dict[str, Flow] = {}


def register(flow: Flow) -> Flow:
    FLOWS[flow.name] = flow
    return flow


# ---------------------------------------------------------------- parsing helpers
_NUMBER = re.compile(r"^\s*([-+]?\d+(?:[.,]\d+)?)\s*(?:/\s*(\d+))?\s*$")


def parse_number(text: str) -> float | None:
    """``7``, ``7/10``, `` 7 ``, ``6,5`` -> the number; anything else -> None."""
    if len(text) > 32:  # no answer is that long; a 400-digit "number" is not one
        return None
    match = _NUMBER.match(text)
    if not match:
        return None
    value = float(match.group(1).replace(",", "."))
    return value if math.isfinite(value) else None


def int_in(lo: int, hi: int) -> Callable[[Ctx, str, Answers], int]:
    def parse(ctx: Ctx, text: str, answers: Answers) -> int:
        value = parse_number(text)
        if value is None or value != int(value) or not lo <= value <= hi:
            raise Invalid(N_("Please send a whole number from {lo} to {hi}."), lo=lo, hi=hi)
        return int(value)

    return parse


def float_in(lo: float, hi: float) -> Callable[[Ctx, str, Answers], float]:
    def parse(ctx: Ctx, text: str, answers: Answers) -> float:
        value = parse_number(text)
        if value is None or not lo <= value <= hi:
            raise Invalid(N_("Please send a number from {lo} to {hi}."), lo=lo, hi=hi)
        return round(value, 1)

    return parse


def choice(*values: str) -> Callable[[Ctx, str, Answers], str]:
    """Only the buttons' values are accepted (typed text is matched against the labels too)."""

    def parse(ctx: Ctx, text: str, answers: Answers) -> str:
        raw = text.strip()
        if raw in values:
            return raw
        folded = raw.casefold()
        for value in values:
            if folded == value.casefold():
                return value
        step_options = ctx.extra.get("options", ())
        for row in step_options:
            for option in row:
                label = option.label if option.literal else ctx._(option.label)
                if folded == label.casefold():
                    return str(option.value)
        raise Invalid(N_("Please pick one of the buttons."))

    return parse


def number_row(*values: int | str) -> list[Option]:
    """Buttons that show and answer the numbers themselves (not translated)."""
    return [Option(str(v), str(v), literal=True) for v in values]


def scale_rows(lo: int, hi: int, per_row: int = 6) -> list[list[Option]]:
    values = number_row(*range(lo, hi + 1))
    return [values[i : i + per_row] for i in range(0, len(values), per_row)]


def yes_no() -> list[list[Option]]:
    return [[Option("yes", N_("Yes")), Option("no", N_("No"))]]


def parse_yes_no(ctx: Ctx, text: str, answers: Answers) -> bool:
    return choice("yes", "no")(ctx, text, answers) == "yes"


# ---------------------------------------------------------------- rendering
def callback(version: int, value: str) -> str:
    return f"s|{version}|{value}"


def _options(ctx: Ctx, step: Step, answers: Answers) -> Sequence[Sequence[Option]]:
    return step.options(ctx, answers) if callable(step.options) else step.options


def ask(
    ctx: Ctx,
    flow: Flow,
    step: Step,
    answers: Answers,
    version: int,
    prefix: str = "",
    *,
    edit: int | None = None,
) -> None:
    """Queue the question of ``step`` with its buttons: a new message, or an edit of the
    living message ``edit`` (the answered questions' summaries above the question)."""
    ctx.extra["options"] = _options(ctx, step, answers)
    question = step.ask(ctx, answers) if callable(step.ask) else ctx._(step.ask)
    position = [s for s in flow.steps if s.skip_if is None or not s.skip_if(answers)]
    number = next((i + 1 for i, s in enumerate(position) if s.name == step.name), 1)
    if flow.total_shown:
        header = ctx._("{title} · {n}/{total}").format(
            title=ctx._(flow.title), n=number, total=len(position)
        )
    else:
        header = ctx._("{title} · question {n}").format(title=ctx._(flow.title), n=number)
    text = f"{prefix}<b>{header}</b>\n{question}"
    if step.hint:
        text += "\n<i>" + ctx._(step.hint) + "</i>"
    lines = list(answers.get(LINES) or [])
    while lines and len(text) + sum(len(line) + 1 for line in lines) > MAX_TEXT:
        lines.pop(0)  # a message holds 4096 characters: the oldest summaries give way
    if lines:
        text = "\n".join(lines) + "\n\n" + text
    rows: Rows = [
        [(o.label if o.literal else ctx._(o.label), callback(version, o.value)) for o in row]
        for row in ctx.extra["options"]
    ]
    ctx.say(text, rows or None, question_version=version, edit_message_id=edit)


def summary(ctx: Ctx, step: Step, answers: Answers, text: str) -> str:
    """One line for an answered question: the line that asks it (shortened) and the answer
    (the pressed button's label, or the typed text)."""
    if step.summary:
        question = ctx._(step.summary)
    else:
        question = step.ask(ctx, answers) if callable(step.ask) else ctx._(step.ask)
    lines = [x.strip() for x in html.unescape(_TAG.sub("", question)).split("\n") if x.strip()]
    asked = [x for x in lines if "?" in x]  # a greeting may come first: the question itself
    first = (asked or lines or [""])[-1]
    label = None
    for row in ctx.extra.get("options", ()):
        for option in row:
            if option.value == text:
                label = option.label if option.literal else ctx._(option.label)
    if label is None:
        label = " ".join(text.split())
    shown = html.escape(_shorten(first, 64), quote=False)
    return f"✓ {shown} <b>{html.escape(_shorten(label, 40), quote=False)}</b>"


def _shorten(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0] or text[:limit]
    return cut.rstrip(" ,.;:") + "…"


def drop_keyboard(ctx: Ctx, message_id: int | None) -> None:
    """Remove the buttons of an earlier question message (a new message carries the
    question now). Sent before the new message; harmless when already gone."""
    if message_id:
        ctx.out.append(Out(text="", edit_message_id=int(message_id), markup_only=True))


def _living_first(ctx: Ctx, pressed: int, mark: int, head: str) -> None:
    """The conversation ended on a pressed button: its message (the living message) turns
    into the first reply of the end (the summaries above it); with no plain text reply to
    take its place, it keeps the summaries without buttons."""
    outs = ctx.out[mark:]
    first = outs[0] if outs else None
    if (
        first is not None
        and first.edit_message_id is None
        and first.photo is None
        and first.document is None
        and first.menu is None
    ):
        text = f"{head}\n\n{first.text}"
        first.text = text if len(text) <= MAX_TEXT else first.text
        first.edit_message_id = pressed
        return
    ctx.out.insert(mark, Out(text=head, edit_message_id=pressed))


# ---------------------------------------------------------------- the state machine
async def start(
    ctx: Ctx, flow: Flow, answers: Answers | None = None, *, intro: str = ""
) -> None:
    """Begin ``flow`` for this chat. A runner's own command leaves the conversation they
    were in; a scheduled prompt (``ctx.extra[SCHEDULED]``) never does: it offers a button
    that starts ``flow`` when the runner is ready, and the conversation goes on. ``intro``
    is said above the first question, in the same message."""
    row = await store.load_conversation(ctx.session, ctx.runner.id)
    if ctx.extra.get(SCHEDULED) and row.name and row.name != flow.name and row.name in FLOWS:
        offer_later(ctx, flow, answers or {}, intro)
        return
    answers = dict(answers or {})
    draft = row.answers or {}
    prefix = intro + "\n\n" if intro else ""
    if (
        not row.name
        and draft.get("_draft") == flow.name
        and draft.get("_day") == ctx.today.isoformat()
    ):
        # Resume what /cancel left today: completed answers are kept (answers given now win).
        answers = {k: v for k, v in draft.items() if not k.startswith("_")} | answers
        prefix += ctx._("Picking up where you left off.") + "\n\n"
    step = flow.next_step(None, answers)
    if step is None:
        await flow.finish(ctx, answers)
        return
    # a conversation left for this one: its question message loses its buttons
    drop_keyboard(ctx, row.question_message_id if row.name in FLOWS else None)
    store.save_conversation(row, flow.name, step.name, answers)
    ask(ctx, flow, step, answers, row.version, prefix)


def offer_later(ctx: Ctx, flow: Flow, answers: Answers, intro: str = "") -> None:
    """A button that starts ``flow`` (with ``answers``, simple values only) when pressed;
    ``intro`` (what else is due) is said above it."""
    packed = ";".join(f"{k}={v}" for k, v in answers.items() if isinstance(v, str | int))
    payload = f"{flow.name}:{packed}"
    if len(action_data(LATER, payload).encode()) > 64:  # Telegram's limit for button data
        payload = f"{flow.name}:"
    ctx.say(
        (intro + "\n\n" if intro else "")
        + ctx._("{title}: tap the button when you have finished the questions above.").format(
            title=ctx._(flow.title)
        ),
        [[(ctx._("Start it now"), action_data(LATER, payload))]],
    )


@action(LATER)
async def start_later(ctx: Ctx, payload: str) -> None:
    name, _, packed = payload.partition(":")
    flow = FLOWS.get(name)
    if flow is None:
        ctx.say(ctx._("That question has closed."))
        return
    answers: Answers = dict(
        item.split("=", 1) for item in packed.split(";") if "=" in item
    )
    await start(ctx, flow, answers)


async def current(ctx: Ctx) -> tuple[Flow, Step, Answers, int] | None:
    row = await store.load_conversation(ctx.session, ctx.runner.id)
    flow = FLOWS.get(row.name or "")
    if flow is None:
        return None
    step = flow.step(row.step)
    if step is None:
        return None
    return flow, step, dict(row.answers or {}), row.version


async def reask(ctx: Ctx, prefix: str = "") -> bool:
    """Ask the current question again, as a new message below whatever was just said (the
    previous question message loses its buttons); False when the chat is in no
    conversation."""
    row = await store.load_conversation(ctx.session, ctx.runner.id)
    flow = FLOWS.get(row.name or "")
    step = flow.step(row.step) if flow else None
    if flow is None or step is None:
        return False
    answers = dict(row.answers or {})
    if _options(ctx, step, answers):
        drop_keyboard(ctx, row.question_message_id)
    ask(ctx, flow, step, answers, row.version, prefix)
    return True


async def answer(ctx: Ctx, text: str, *, button_version: int | None = None) -> bool:
    """Feed a typed answer or a pressed button to the current step.

    A pressed button edits its own message (the living message) into the next question; a
    typed answer sits below it, so the next question is a new message and the previous
    one loses its buttons. Returns False when the chat is in no conversation (the caller
    replies otherwise).
    """
    row = await store.load_conversation(ctx.session, ctx.runner.id)
    flow = FLOWS.get(row.name or "")
    step = flow.step(row.step) if flow else None
    if flow is None or step is None:
        if button_version is not None:
            closed = ctx._("That question has closed.")
            if ctx.runner.status == "new":  # no plan (a newcomer, or after /delete)
                closed += " " + ctx._("We haven't set up your plan yet. Send /start to begin.")
            drop_keyboard(ctx, ctx.extra.get(PRESSED))  # a copy that kept its buttons
            ctx.say(closed)
            return True
        return False
    answers = dict(row.answers or {})
    ctx.extra["options"] = _options(ctx, step, answers)
    had_buttons = bool(ctx.extra["options"])
    if button_version is None:
        untried = await outbox.untried_questions(ctx.session, ctx.runner.id, row.version)
        if untried:
            # Nobody has tried to send the current question yet (a process died before it,
            # or a reply ahead of it waits): the text cannot answer it. Nothing is stored;
            # the runner is told at once, and that waiting question is asked here instead.
            # A question whose send was attempted counts as possibly seen: answered.
            await outbox.drop_replies(ctx.session, untried)
            ctx.extra[NOT_TAKEN] = True
            notice = ctx._(
                "I haven't taken that as an answer: this question had not reached you yet."
            )
            _again(ctx, flow, step, answers, row, f"{notice}\n\n", None, had_buttons)
            return True
    pressed = ctx.extra.get(PRESSED) if button_version is not None else None
    if button_version is not None and button_version != row.version:
        # A button of an answered question: nothing is stored. On the living message the
        # current question comes back in place; elsewhere the pressed message loses its
        # buttons and the question comes below (and only there has live buttons).
        closed = ctx._("That question has closed.") + "\n\n"
        if pressed is not None and pressed == row.question_message_id:
            ask(ctx, flow, step, answers, row.version, closed, edit=pressed)
        else:
            drop_keyboard(ctx, pressed)
            if had_buttons and row.question_message_id != pressed:
                drop_keyboard(ctx, row.question_message_id)
            ask(ctx, flow, step, answers, row.version, closed)
        return True
    try:
        value = step.parse(ctx, text, answers)
    except Invalid as bad:
        message = ctx._(bad.message).format(**bad.values)
        _again(ctx, flow, step, answers, row, f"{message}\n\n", pressed, had_buttons)
        return True
    except (ValueError, ArithmeticError):
        # A parser that trips over odd input ("²" passes str.isdigit, int() refuses it):
        # the same question again, nothing stored.
        message = ctx._("I could not read that. Please answer the question again.")
        _again(ctx, flow, step, answers, row, f"{message}\n\n", pressed, had_buttons)
        return True
    line = summary(ctx, step, answers, text)
    answers[step.name] = value
    # a typed answer starts a new message: its summaries begin again
    answers[LINES] = [*(answers.get(LINES) or []), line] if pressed is not None else [line]
    following = None if flow.end_if and flow.end_if(answers) else flow.next_step(step.name, answers)
    if pressed is None and had_buttons:
        drop_keyboard(ctx, row.question_message_id)
    elif had_buttons and row.question_message_id and pressed != row.question_message_id:
        # answered on another copy of the question (a send retried after its answer was
        # lost): the recorded copy loses its buttons, only the pressed one goes on
        drop_keyboard(ctx, row.question_message_id)
    if following is None:
        store.save_conversation(row, "", "", {})
        mark = len(ctx.out)
        await flow.finish(ctx, {k: v for k, v in answers.items() if k != LINES})
        if pressed is not None:
            head = "<b>" + ctx._(flow.title) + "</b>\n" + "\n".join(answers[LINES])
            _living_first(ctx, pressed, mark, head)
        return True
    store.save_conversation(row, flow.name, following.name, answers)
    ask(ctx, flow, following, answers, row.version, edit=pressed)
    return True


def _again(
    ctx: Ctx,
    flow: Flow,
    step: Step,
    answers: Answers,
    row: Any,
    prefix: str,
    pressed: int | None,
    had_buttons: bool,
) -> None:
    """The same question again with the reason: in place for a button, below the typed
    text otherwise (the previous question message loses its buttons)."""
    if pressed is None and had_buttons:
        drop_keyboard(ctx, row.question_message_id)
    ask(ctx, flow, step, answers, row.version, prefix, edit=pressed)


async def cancel(ctx: Ctx) -> bool:
    """Leave the conversation; the answers given so far are kept as today's draft."""
    row = await store.load_conversation(ctx.session, ctx.runner.id)
    if not row.name:
        return False
    draft = dict(row.answers or {})
    draft.update({"_draft": row.name, "_step": row.step, "_day": ctx.today.isoformat()})
    store.save_conversation(row, "", "", draft)
    return True


async def leave(ctx: Ctx) -> None:
    """Forget the conversation and any draft (used when a flow is superseded, or the plan
    pauses); its open question loses its buttons."""
    row = await store.load_conversation(ctx.session, ctx.runner.id)
    if row.name in FLOWS:
        drop_keyboard(ctx, row.question_message_id)
    store.save_conversation(row, "", "", {})
