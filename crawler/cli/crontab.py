"""Crontab lines as APScheduler triggers, with the days of the week cron gives them.

APScheduler 3's `CronTrigger.from_crontab` reads day-of-week numbers Monday-first (0 is
Monday), where cron reads them Sunday-first (0 and 7 are Sunday): `0 7 * * 1-5` would run
Tuesday to Saturday (APScheduler issues #286, #455; fixed only in 4.0). The field is
rewritten here as day names, which both read alike. Cron runs a line whose day of the month
and day of the week are both restricted on either day; APScheduler only on days that are
both, so such a line is refused rather than run on other days than cron would.
"""

from __future__ import annotations

from datetime import tzinfo

from apscheduler.triggers.cron import CronTrigger

CRON_DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")  # cron's numbers: 0 (and 7) is sun
ANY = "*"


def crontab_trigger(line: str, timezone: tzinfo | str | None = None) -> CronTrigger:
    """The trigger of a five-field crontab line; raises ValueError naming what is wrong."""
    fields = line.split()
    if len(fields) != 5:
        raise ValueError(f"a crontab line has five fields, not {len(fields)}")
    minute, hour, day, month, weekday = fields
    if day != ANY and weekday != ANY:
        raise ValueError(
            "give a day of the month or a day of the week, not both (cron would run on "
            "either day, this scheduler only on days that are both)"
        )
    return CronTrigger(
        minute=minute,
        hour=hour,
        day=day,
        month=month,
        day_of_week=cron_weekdays(weekday),
        timezone=timezone,
    )


def cron_weekdays(field: str) -> str:
    """A crontab day-of-week field (`1-5`, `0,6`, `*/2`, `mon-fri`, `7`) as day names."""
    if field == ANY:
        return ANY
    days: set[int] = set()
    for part in field.split(","):
        days |= _days(part)
    return ",".join(CRON_DAYS[day] for day in sorted(days))


def _days(part: str) -> set[int]:
    spec, slash, step_text = part.partition("/")
    step = _number(step_text, "step") if slash else 1
    if step < 1:
        raise ValueError(f"a day-of-week step must be 1 or more, not {step_text!r}")
    if spec == ANY:
        first, last = 0, 6
    elif "-" in spec:
        start, _, end = spec.partition("-")
        first, last = _day(start), _day(end)
    else:
        first = _day(spec)
        last = 6 if slash else first  # `1/2`: from Monday on, every other day
    if first > last:
        raise ValueError(f"the day-of-week range {spec!r} runs backwards")
    return {day % 7 for day in range(first, last + 1, step)}


def _day(text: str) -> int:
    name = text.lower()
    if name in CRON_DAYS:
        return CRON_DAYS.index(name)
    day = _number(text, "day of the week")
    if not 0 <= day <= 7:
        raise ValueError(f"a day of the week is 0-7 (0 and 7 are Sunday), not {text!r}")
    return day


def _number(text: str, what: str) -> int:
    if not text.isdigit():
        raise ValueError(f"not a {what}: {text!r}")
    return int(text)
