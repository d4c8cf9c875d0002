"""manage.py issue_api_token USERNAME [--expires DAYS] [--name NAME] [--write] [--grave-cases --by ADMIN]

Prints the token once, on stdout (nothing else goes there, so a script can capture it); only
its SHA-256 is stored. Read-only unless --write; a prosecutor's token is always read-only.
Grave and especially grave cases are out of a token's reach unless --grave-cases, which needs
--by: the audit trail then names the administrator who opened them to a machine.
"""

from __future__ import annotations

import getpass

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from accounts.api.tokens import DEFAULT_DAYS, MAX_DAYS, token_issue
from accounts.choices import Role
from accounts.models import User


def console_actor(by: str | None) -> tuple[User | None, str]:
    """The administrator named by --by, or the console's operating-system account for the audit row."""
    if not by:
        return None, f"console:{getpass.getuser()}"[:150]
    actor = User.objects.filter(username=by, is_active=True, role=Role.ADMINISTRATOR).first()
    if actor is None:
        raise CommandError(f"--by {by}: no active administrator of that name")
    return actor, ""


class Command(BaseCommand):
    help = "Issue an API token for a user (another agency's system acts as that user). Printed once."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument(
            "--expires",
            type=int,
            default=DEFAULT_DAYS,
            metavar="DAYS",
            help=f"days until it expires (1–{MAX_DAYS}, default {DEFAULT_DAYS})",
        )
        parser.add_argument("--name", default="", help="which system holds it (default: the username)")
        parser.add_argument("--write", action="store_true", help="allow changes (default: read-only)")
        parser.add_argument(
            "--grave-cases", action="store_true", help="let it reach grave and especially grave cases (needs --by)"
        )
        parser.add_argument("--by", metavar="ADMIN", help="the administrator issuing it (for the audit trail)")

    def handle(self, *args, username, expires, name, write, grave_cases, by, **options):
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"no user {username!r}")
        actor, label = console_actor(by)
        try:
            token, raw = token_issue(
                user=user,
                name=name or f"{username} system",
                actor=actor,
                actor_label=label,
                days=expires,
                can_write=write,
                grave_cases=grave_cases,
            )
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from None
        self.stdout.write(raw)
        rights = ("read and write" if write else "read-only") + (", grave cases included" if grave_cases else "")
        self.stderr.write(
            f"Token {token.prefix} for {username} ({rights}), "
            f"expires {token.expires_at:%Y-%m-%d %H:%M %Z}. It is not shown again; "
            f"revoke it with: manage.py revoke_api_token {token.prefix}"
        )
