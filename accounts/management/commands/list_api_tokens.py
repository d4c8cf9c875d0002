"""manage.py list_api_tokens [--user USERNAME] [--all]

The tokens' public facts: prefix, user, system, rights, issued, expires, last used, state.
Never the token or its hash. Live tokens only unless --all (revoked and expired ones too).
"""

from __future__ import annotations

from django.core.management.base import BaseCommand
from django.utils import timezone

from accounts.models import ApiToken

STATES = {None: "live", "token_revoked": "revoked", "token_expired": "expired", "user_inactive": "user deactivated"}


def _when(value) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else "-"


class Command(BaseCommand):
    help = "List API tokens (live ones unless --all); tokens themselves are never shown."

    def add_arguments(self, parser):
        parser.add_argument("--user", metavar="USERNAME", help="only this user's tokens")
        parser.add_argument("--all", action="store_true", dest="include_dead", help="revoked and expired tokens too")

    def handle(self, *args, user, include_dead, **options):
        now = timezone.now()
        tokens = ApiToken.objects.select_related("user").order_by("user__username", "-created_at")
        if user:
            tokens = tokens.filter(user__username=user)
        if not include_dead:
            tokens = tokens.filter(revoked_at__isnull=True, expires_at__gt=now)
        self.stdout.write(
            "prefix      user                  rights       issued            expires           "
            "last used         state             system"
        )
        for token in tokens:
            rights = ("rw" if token.may_write else "r") + ("+grave" if token.grave_cases else "")
            self.stdout.write(
                f"{token.prefix:<11} {token.user.username:<21} {rights:<12} {_when(token.created_at):<17} "
                f"{_when(token.expires_at):<17} {_when(token.last_used_at):<17} "
                f"{STATES[token.refusal(now)]:<17} {token.name}"
            )
