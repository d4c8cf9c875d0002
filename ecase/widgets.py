"""Date, time and text widgets whose rendered value is what the browser's control accepts (issue #13).

Django renders a ``DateInput`` in the active locale's format (``01.12.2026``) and a datetime with
its offset; ``<input type=date>`` / ``datetime-local`` / ``time`` accept only the HTML forms
(``2026-12-01``, ``2026-12-01T10:00``, ``10:00``) and show anything else as an EMPTY field, which the
next save then stores. Every form of the project takes its date, datetime and time widgets from here.

Datetimes are shown in the current time zone (``TIME_ZONE``, Asia/Almaty) without an offset, as
``datetime-local`` wants; the form field reads the value back in the same zone, so 10:00+05:00 is
shown as 10:00 and saved as 10:00+05:00. A value with seconds is shown with its seconds (and the
control's ``step`` allows them), so saving it unchanged keeps them; the browser has no microseconds.
Django's form fields already accept these ISO forms on input in every language (its input formats
end with the ISO ones, and a datetime is parsed as ISO first), so the fields stay Django's own.
"""

from __future__ import annotations

from datetime import datetime, time

from django import forms

DATE_FORMAT = "%Y-%m-%d"
DATETIME_FORMAT = "%Y-%m-%dT%H:%M"
DATETIME_SECONDS_FORMAT = "%Y-%m-%dT%H:%M:%S"
TIME_FORMAT = "%H:%M"
TIME_SECONDS_FORMAT = "%H:%M:%S"


def _has_seconds(value) -> bool:
    return isinstance(value, (datetime, time)) and bool(value.second)


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format=DATE_FORMAT)


class _SecondsAware:
    """Minutes unless the value has seconds: then seconds, and ``step=1`` so the browser lets them through."""

    seconds_format = ""

    def format_value(self, value):
        if _has_seconds(value):
            return value.strftime(self.seconds_format)
        return super().format_value(value)

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        if _has_seconds(value):
            context["widget"]["attrs"]["step"] = "1"
        return context


class DateTimeInput(_SecondsAware, forms.DateTimeInput):
    input_type = "datetime-local"
    seconds_format = DATETIME_SECONDS_FORMAT

    def __init__(self, attrs=None):
        super().__init__(attrs, format=DATETIME_FORMAT)


class TimeInput(_SecondsAware, forms.TimeInput):
    input_type = "time"
    seconds_format = TIME_SECONDS_FORMAT

    def __init__(self, attrs=None):
        super().__init__(attrs, format=TIME_FORMAT)


class TextareaField(forms.CharField):
    """Multi-line text as it was typed: browsers send a textarea's line breaks as CRLF, stored as LF.

    Without this, saving a plot or an act's text unchanged would rewrite every line break of it.
    """

    widget = forms.Textarea

    def to_python(self, value):
        value = super().to_python(value)
        return value.replace("\r\n", "\n").replace("\r", "\n") if isinstance(value, str) else value
