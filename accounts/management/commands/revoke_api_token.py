"""manage.py revoke_api_token PREFIX|TOKEN … | --user USERNAME  [--reason TEXT] [--by ADMIN]

Refused from the very next request. The rows stay, with who revoked them and when.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from accounts.api.tokens import token_revoke
from accounts.models import ApiToken

from .issue_api_token import console_actor


class Command(BaseCommand):
    help = "Revoke API tokens: by prefix (or the whole token), or every live token of a user."

    def add_arguments(self, parser):
        parser.add_argument("tokens", nargs="*", metavar="PREFIX", help="token prefix (10 hex digits) or the token")
        parser.add_argument("--user", metavar="USERNAME", help="revoke every token of this user not yet revoked")
        parser.add_argument("--reason", default="", help="why (recorded in the audit trail)")
        parser.add_argument("--by", metavar="ADMIN", help="the administrator revoking them (for the audit trail)")

    def handle(self, *args, tokens, user, reason, by, **options):
        if not tokens and not user:
            raise CommandError("name the tokens (by prefix) or --user USERNAME")
        actor, label = console_actor(by)
        found = []
        for given in tokens:
            prefix = given.split("_")[1] if given.startswith("ecase_") and given.count("_") >= 2 else given
            token = ApiToken.objects.filter(prefix=prefix).first()
            if token is None:
                raise CommandError(f"no token with prefix {prefix!r}")
            if token.revoked_at is not None:
                raise CommandError(f"token {prefix} was revoked already")
            found.append(token)
        if user:
            found += list(
                ApiToken.objects.filter(user__username=user, revoked_at__isnull=True).exclude(
                    pk__in=[t.pk for t in found]
                )
            )
        for token in found:
            token_revoke(token=token, actor=actor, actor_label=label, reason=reason)
            self.stdout.write(f"revoked {token.prefix} ({token.user.username}, {token.name})")
        if not found:
            self.stdout.write("no live token to revoke")
