"""The watch-file corpus (tests/corpus.py): each real recording and each quirk file is read
as asserted there — kind, start, minutes, running minutes, distance, cadence, heart rate, a
cut file said to be cut — or refused for the reason asserted there."""

from __future__ import annotations

import pytest

from activities import reader
from tests.corpus import CORPUS, CORPUS_DIR, Entry, Read


def read(entry: Entry) -> Read | str:
    try:
        a = reader.read(entry.data(), entry.name)
    except reader.Unreadable as bad:
        return bad.reason
    return Read(
        kind="run" if a.running_minutes else "walk",
        start=a.start,
        minutes=a.minutes,
        running=a.running_minutes,
        km=round(a.distance_m / 1000, 1),
        cadence=a.cadence_spm,
        hr=a.avg_hr,
        cut=a.cut,
        dated=a.dated,
    )


@pytest.mark.parametrize("entry", CORPUS, ids=[e.name for e in CORPUS])
def test_each_recording_reads_as_expected(entry: Entry) -> None:
    assert read(entry) == entry.expected


def test_the_corpus_holds_at_least_20_real_recordings_each_with_its_source() -> None:
    real = [e for e in CORPUS if e.real]
    assert len(real) >= 20
    sources = (CORPUS_DIR / "SOURCES.md").read_text()
    on_disk = {p.name for p in CORPUS_DIR.iterdir() if p.suffix in (".fit", ".gpx", ".tcx")}
    assert on_disk == {e.name for e in real}
    for e in real:
        assert f"`{e.name}`" in sources


def test_no_file_that_holds_a_session_on_foot_is_refused() -> None:
    refused = [e.name for e in CORPUS if e.holds and isinstance(e.expected, str)]
    assert refused == []


def test_every_refusal_says_a_reason_runcoach_has_words_for() -> None:
    reasons = {e.expected for e in CORPUS if isinstance(e.expected, str)}
    assert reasons <= set(reader.REASONS)
    assert {reader.TOO_SHORT, reader.NOT_RUN, reader.NO_TIMES} <= reasons
