"""The watch-file corpus: real recordings from the test suites of FIT, GPX and TCX parser
libraries (tests/watch_corpus/, each file's source and licence in SOURCES.md there), and
files written with fit-tool, gpxpy and ElementTree that reproduce each quirk real devices
have (tests/watch_quirks.py). For each, what it truly holds and what runcoach reads from it.

``holds`` is the truth about the file: "run" or "walk" when it holds a session on foot long
enough to count, None when it does not (another sport, a minute or less, no times). Where
runcoach reads a file differently from the truth, ``misread`` says why.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from tests.watch_quirks import QUIRKS

CORPUS_DIR = Path(__file__).resolve().parent / "watch_corpus"


@dataclass(frozen=True)
class Read:
    """A summary as read: kind ("run" when any running, else "walk"), start (UTC), whole
    minutes, running minutes, km (1 decimal), cadence, heart rate, whether the file was cut."""

    kind: str
    start: datetime
    minutes: int
    running: int
    km: float
    cadence: int | None
    hr: int | None
    cut: bool = False
    dated: bool = True  # False: the file has no date (``start`` is a placeholder)


@dataclass(frozen=True)
class Entry:
    name: str
    what: str  # what the file truly is
    holds: str | None  # "run" / "walk": a session on foot that counts; None: no such session
    expected: Read | str  # the summary runcoach reads, or the reason it refuses the file
    misread: str = ""  # why runcoach cannot read the truth from it, when it does not

    @property
    def real(self) -> bool:
        return self.name not in QUIRKS

    def data(self) -> bytes:
        if self.name in QUIRKS:
            return QUIRKS[self.name]()
        return (CORPUS_DIR / self.name).read_bytes()


def _t(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


UNDATED_AT = _t  # a placeholder start: activities.summary.UNDATED + the watch's own clock
Q = "2026-03-02 06:00:00"  # the quirk files' start (tests/watch_files.START)
TCX_OTHER = "TCX names only Running, Biking or Other: a paddle or a ski is 'Other', as a walk is"

CORPUS: tuple[Entry, ...] = (
    # ------------------------------------------------------------ real recordings
    Entry("strava-android-app-201.10-b1218918.fit",
          "a 1-hour, 11.3 km run recorded by Strava's Android app; a byte is lost after 5 "
          "minutes of records, so nothing after it can be read (Garmin's own SDK stops there "
          "too); its session summary comes first",
          "run", Read("run", _t("2021-09-27 14:13:10"), 59, 59, 11.3, None, None, cut=True)),
    Entry("activity-small-fenix2-run.fit", "a 47-minute, 9 km run on a Garmin Fenix 2",
          "run", Read("run", _t("2015-08-15 14:45:08"), 47, 44, 9.0, 166, 154)),
    Entry("2013-02-06-12-11-14.fit", "a 44-minute walk and run on a Garmin Forerunner 110 "
          "(no cadence sensor)",
          "run", Read("run", _t("2013-02-06 12:11:14"), 44, 22, 4.8, None, 151)),
    Entry("developer-types-sample.fit", "a 57-minute run with a Stryd pod's developer fields",
          "run", Read("run", _t("2017-01-17 17:06:47"), 57, 57, 6.8, 149, 131)),
    Entry("sample_mulitple_header.fit", "a triathlon on a Forerunner 920XT, chained FIT files "
          "(swim, T1, bike, T2, run): the 48-minute run counts",
          "run", Read("run", _t("2018-05-27 09:23:41"), 48, 48, 9.8, 167, 176)),
    Entry("garmin-fenix-5-run.fit", "a 57-second run on a Garmin Fenix 5 (21 timed records)",
          None, "too_short"),
    Entry("garmin-fenix-5-walk.fit", "a 45-second walk on a Garmin Fenix 5", None, "too_short"),
    Entry("garmin-fenix-5-bike.fit", "a short ride on a Garmin Fenix 5", None, "not_run"),
    Entry("garmin-edge-820-bike.fit", "a one-minute commute on a Garmin Edge 820 bike computer",
          None, "not_run"),
    Entry("2015-10-13-08-43-15.fit", "a 27-minute ride on a Garmin Edge 200", None, "not_run"),
    Entry("null_compressed_speed_dist.fit", "a 30-minute Zwift ride", None, "not_run"),
    Entry("20170518-191602-1740899583.fit",
          "28 minutes of indoor rowing on a Garmin vivoactive HR", None, "not_run"),
    Entry("event_timestamp.fit", "a pool swim on a Garmin Forerunner 735XT", None, "not_run"),
    Entry("garmin-fr935-cr.fit", "a swim on a Garmin Forerunner 935", None, "not_run"),
    Entry("compressed-speed-distance.fit",
          "a 65-minute, 10 km run on a Garmin Forerunner 70 whose clock was never set: every "
          "time counts from the watch's power-on, no date anywhere (the runner is asked the "
          "day; the start below is the placeholder)",
          "run", Read("run", UNDATED_AT("2000-07-18 06:44:24"), 65, 57, 10.2, 178, 170,
                      dated=False)),
    Entry("antfs-dump.63.fit", "a 57-minute run (heart rate only: no distance, speed or "
          "steps) from a Forerunner 70 with no date, read straight off the watch",
          "run", Read("run", UNDATED_AT("2000-07-09 07:00:42"), 57, 57, 0.0, None, 162,
                      dated=False)),
    Entry("korita-zbevnica.gpx", "a 3.7-hour hike logged by a GPS and converted by GPSBabel",
          "walk", Read("walk", _t("2010-10-03 09:36:30"), 223, 0, 6.3, None, None)),
    Entry("around-visnjan-with-car.gpx", "a drive by car", None, "not_run"),
    Entry("Mojstrovka.gpx", "a track whose every point carries GPSBabel's 1901 placeholder "
          "for 'no time'", None, "no_times"),
    Entry("cerknicko-without-times.gpx", "a track with its times taken out", None, "no_times"),
    Entry("route.gpx", "a planned route (no times)", None, "no_times"),
    Entry("tcxparser-test.tcx", "a 33-minute run exported as TCX",
          "run", Read("run", _t("2012-12-26 21:29:53"), 33, 26, 4.7, None, 160)),
    Entry("tcxparser-no_hr.tcx", "the same run with no heart rate",
          "run", Read("run", _t("2012-12-26 21:29:53"), 33, 26, 4.7, None, None)),
    Entry("sup_activity_1.tcx", "19 minutes of stand-up paddling (Sport 'Other')",
          None, Read("walk", _t("2022-07-16 16:08:25"), 19, 0, 1.2, None, 87),
          misread=TCX_OTHER),
    Entry("cross-country-skiing_activity_1.tcx", "40 minutes of cross-country skiing "
          "(Sport 'Other')",
          None, Read("run", _t("2020-12-26 15:14:21"), 40, 6, 5.7, 163, 142),
          misread=TCX_OTHER),
    # ------------------------------------------------------------ quirks, written here
    Entry("quirk-developer-fields.fit", "a 30-minute run with a developer power field",
          "run", Read("run", _t(Q), 30, 30, 5.0, 166, 150)),
    Entry("quirk-no-sport.fit", "a 20-minute run with no session or sport message",
          "run", Read("run", _t(Q), 20, 20, 3.4, 166, 150)),
    Entry("quirk-laps-without-records.fit", "a 30-minute run: session and laps, no records",
          "run", Read("run", _t(Q), 30, 30, 5.0, 166, 150)),
    Entry("quirk-pause-events.fit", "10 min running, the timer paused 5 min while the watch "
          "kept writing records, 10 min running", "run",
          Read("run", _t(Q), 25, 20, 3.4, 166, 150)),
    Entry("quirk-summary-first-then-cut.fit", "a 30-minute run, its summary first, the file "
          "cut at 40 %", "run", Read("run", _t(Q), 30, 30, 5.0, 166, 150, cut=True)),
    Entry("quirk-byte-lost.fit", "a 30-minute run, its summary first, one byte lost a third "
          "of the way in", "run", Read("run", _t(Q), 30, 30, 5.0, 166, 150, cut=True)),
    Entry("quirk-cut-without-summary.fit", "a 20-minute run cut in half, its summary lost "
          "with the second half", "run", Read("run", _t(Q), 10, 10, 1.7, 166, 150, cut=True)),
    Entry("quirk-compressed-timestamps.fit", "a 35-minute walk/run whose records carry "
          "compressed timestamps", "run", Read("run", _t(Q), 35, 24, 4.8, 164, 137)),
    Entry("quirk-triathlon.fit", "a swim, a transition and a 25-minute run in one file",
          "run", Read("run", _t("2026-03-02 06:17:00"), 25, 25, 4.2, 166, 150)),
    Entry("quirk-treadmill.fit", "a 35-minute treadmill walk/run: no positions",
          "run", Read("run", _t(Q), 35, 24, 4.8, 164, 137)),
    Entry("quirk-indoor-rowing.fit", "20 minutes on a rowing machine", None, "not_run"),
    Entry("quirk-forty-seconds.fit", "a 40-second run", None, "too_short"),
    Entry("quirk-settings.fit", "the watch's settings, no recording", None, "no_times"),
    Entry("quirk-times-and-positions.gpx", "a 25-minute run: positions and times only",
          "run", Read("run", _t(Q), 25, 25, 4.2, None, None)),
    Entry("quirk-cut.gpx", "a 35-minute walk/run cut at 60 %",
          "run", Read("run", _t(Q), 21, 13, 2.8, 164, 134, cut=True)),
    Entry("quirk-no-heart-rate.tcx", "a 35-minute walk/run with no heart rate",
          "run", Read("run", _t(Q), 35, 24, 4.8, 164, None)),
    Entry("quirk-cut.tcx", "a 35-minute walk/run cut at 60 %",
          "run", Read("run", _t(Q), 21, 13, 2.8, 164, 134, cut=True)),
    Entry("quirk-laps-only.tcx", "a 20-minute treadmill run: laps with totals, no track",
          "run", Read("run", _t(Q), 20, 20, 3.4, None, None)),
)
