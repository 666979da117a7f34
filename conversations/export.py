"""/export: a PDF report for a physiotherapist and a CSV of every check-in."""

from __future__ import annotations

from functools import cache, partial

from conversations import view
from conversations.actions import command
from conversations.context import Ctx
from reports.pdf import CSV_NAME, PDF_NAME, documents
from reports.report_input import ReportInput
from storage import reports as store


@command("export")
async def export_command(ctx: Ctx) -> None:
    records = await store.load_records(ctx.session, ctx.runner.id)
    data = ReportInput.of(
        ctx.runner, ctx.today, records, None, await view.plan_status(ctx.session, ctx.runner)
    )
    # Built once, after the transaction commits (see Out): rendering takes a moment.
    build = cache(partial(documents, data, ctx.tr))

    def pdf() -> bytes:
        return build()[0]

    def csv_bytes() -> bytes:
        return build()[1]

    ctx.say(
        ctx._(
            "Your report for a physiotherapist or doctor: injury, stages, reassessments and "
            "every check-in. I am a coach and do not diagnose: the report shows what you told me."
        ),
        document=pdf,
        filename=PDF_NAME,
    )
    ctx.say(
        ctx.n_(
            "{n} check-in as a spreadsheet (CSV), one row each.",
            "{n} check-ins as a spreadsheet (CSV), one row each.",
            len(records.checkins),
        ).format(n=len(records.checkins)),
        document=csv_bytes,
        filename=CSV_NAME,
    )
