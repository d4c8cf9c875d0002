"""Strict reading of settings from the environment.

A typo in a deployment variable must stop the process at start-up, not silently
fall back to a default (healthchecks' settings do the same).
"""

import os

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str | None = None) -> str:
    value = os.environ.get(name, default)
    if value is None:
        raise ImproperlyConfigured(f"environment variable {name} is required")
    return value


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    lowered = raw.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean (use 1/0, true/false, yes/no, on/off)")


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    raw = os.environ.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not an integer") from None
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name}={value} is below the minimum {minimum}")
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return list(default)
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_choice(name: str, default: str, choices: tuple[str, ...]) -> str:
    """One of ``choices``; anything else (``prod``, ``Production``) stops start-up naming the allowed values."""
    value = os.environ.get(name, default)
    if value not in choices:
        raise ImproperlyConfigured(f"{name}={value!r} is not allowed: use one of {', '.join(choices)}")
    return value


def env_url(name: str, default: str, *, schemes: tuple[str, ...] = ("https", "http")) -> str:
    """An absolute URL (scheme and host, no trailing slash) with one of ``schemes``."""
    from urllib.parse import urlsplit

    value = os.environ.get(name, default).strip().rstrip("/")
    if not value and not default:
        return ""  # no default, and not given: whether that is allowed is the caller's rule
    parts = urlsplit(value)
    if parts.scheme not in schemes or not parts.hostname or parts.query or parts.fragment:
        raise ImproperlyConfigured(
            f"{name}={value!r} is not an absolute {' or '.join(schemes)} URL such as https://ecase.example.kz"
        )
    return value


def require_for_production(missing: dict[str, bool]) -> None:
    """Stop start-up naming every production setting that is absent or unusable (all at once, not one per try)."""
    absent = [what for what, is_missing in missing.items() if is_missing]
    if absent:
        raise ImproperlyConfigured("ECASE_ENV=production needs: " + "; ".join(absent))
