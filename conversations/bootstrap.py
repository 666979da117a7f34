"""The one place where runcoach's conversations are put together: importing this module
registers every flow, command and button (each module registers its own), and subscribes
the reactions to what the flows publish (conversations/events.py). Nothing below imports it;
``conversations/handlers.py`` does, for the bot.
"""

from __future__ import annotations

from conversations import (  # noqa: F401  (imported for what they register)
    basics,
    care_messages,
    careteam,
    checkin,
    clearance,
    connect,
    delete,
    events,
    export,
    morning,
    onboarding,
    patients,
    progress,
    reassess,
    router,
    settings,
    today,
    watch_guide,
)

# What must happen after a flow acted, and who does it.
events.subscribe(events.DecisionTaken, care_messages.note_decision)  # the care team's alert
events.subscribe(events.RedFlagsReported, care_messages.alert_red_flags)
events.subscribe(events.SessionOverPlan, care_messages.alert_overrun)  # a load spike
events.subscribe(events.DataDeleting, careteam.forget)  # links both ways; the other side told
events.subscribe(events.DecisionTaken, connect.plan_changed)  # the intervals.icu calendar
events.subscribe(events.DataDeleting, connect.forget)  # intervals.icu tokens, revoked after
