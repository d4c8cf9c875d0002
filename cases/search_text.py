"""One folding of search text for both databases (issue #13 item 2, docs/ARCHITECTURE.md "One database behaviour").

``fold`` is applied in Python to what is stored (``Person.search_name``) and to what is typed,
so the comparison never depends on the database's own case rules: SQLite's LIKE and lower()
fold ASCII only, PostgreSQL's follow the server's locale.

Folding: Unicode NFC (a decomposed "е + ◌̈" becomes "ё"), case-folded, ё → е (Russian texts
write either), whitespace collapsed. The Kazakh letters ә ғ қ ң ө ұ ү һ і are letters of their
own and stay as they are: "Қасымов" and "Касымов" are different surnames.
"""

from __future__ import annotations

import unicodedata

SQLITE_FOLD_FUNCTION = "ecase_fold"


def fold(text: str | None) -> str:
    if not text:
        return ""
    folded = unicodedata.normalize("NFC", text).casefold().replace("ё", "е")
    return " ".join(folded.split())


def register_sqlite_fold(sender, connection, **kwargs) -> None:
    """``connection_created`` receiver: ``ecase_fold(text)`` in SQL on SQLite connections.

    Deterministic, so SQLite may use it in any expression; it exists only on connections opened
    by this application (an external sqlite3 shell does not know it, and nothing stored depends on it).
    """
    if connection.vendor == "sqlite":
        connection.connection.create_function(SQLITE_FOLD_FUNCTION, 1, fold, deterministic=True)
