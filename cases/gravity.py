"""Category of an offence from its sanction (Criminal Code of the RK of 3 July 2014 No. 226-V, art. 11).

The thresholds below are art. 11 parts 2–5 as this project knows them; the text of art. 11 was not
found in the stored copies searched for issue #18 (docs/LEGAL_SOURCES.md, "УК РК"): they stay to be
checked against adilet.zan.kz. A part the Code itself puts in another category carries an override
on its version (``override`` below), with the article that says so.
"""

from __future__ import annotations

from .choices import Gravity, Intent

SMALL_INTENTIONAL_MAX_MONTHS = 24  # art. 11 part 2: up to two years
SMALL_NEGLIGENT_MAX_MONTHS = 60  # art. 11 part 2: negligent, up to five years
MEDIUM_INTENTIONAL_MAX_MONTHS = 60  # art. 11 part 3: up to five years; negligent over five
GRAVE_INTENTIONAL_MAX_MONTHS = 144  # art. 11 part 4: up to twelve years


def derive_gravity(
    *,
    is_misdemeanour: bool,
    intent: str,
    max_imprisonment_months: int | None,
    life_imprisonment: bool,
    override: int | None = None,
) -> Gravity:
    """Gravity of one article part. A crime without imprisonment in its sanction is of small gravity.

    ``override`` is the category the Code sets for the part against its sanction (stored on the
    version with the article that says so, ``CriminalCodeArticleVersion.gravity_override``).
    """
    if override is not None:
        return Gravity(override)
    if is_misdemeanour:
        return Gravity.MISDEMEANOUR
    if life_imprisonment:
        return Gravity.ESPECIALLY_GRAVE
    months = max_imprisonment_months or 0
    if intent == Intent.NEGLIGENT:
        return Gravity.SMALL if months <= SMALL_NEGLIGENT_MAX_MONTHS else Gravity.MEDIUM
    if months <= SMALL_INTENTIONAL_MAX_MONTHS:
        return Gravity.SMALL
    if months <= MEDIUM_INTENTIONAL_MAX_MONTHS:
        return Gravity.MEDIUM
    if months <= GRAVE_INTENTIONAL_MAX_MONTHS:
        return Gravity.GRAVE
    return Gravity.ESPECIALLY_GRAVE
