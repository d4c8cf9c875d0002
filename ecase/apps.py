from django.apps import AppConfig
from django.core import checks
from django.db.models.signals import post_migrate


class EcaseConfig(AppConfig):
    """The project package as an app only for what needs one: a command, a signal handler, a check.

    It holds no models; ``manage.py prepare_dirs`` and the post-migrate handler make the
    checkout's working folders and development key (ecase/local_files.py).
    """

    name = "ecase"
    verbose_name = "ecase"

    def ready(self) -> None:
        post_migrate.connect(_prepare_after_migrate, dispatch_uid="ecase.local_files.prepare")
        checks.register(_ephemeral_secret_key_check, checks.Tags.security)


def _prepare_after_migrate(sender, **kwargs) -> None:
    # post_migrate is sent once per app with models; preparing is idempotent, so once per app costs
    # a few stat() calls and nothing else. Production's folders are the deployment's (docs/OPERATIONS.md).
    from django.conf import settings

    from .local_files import prepare

    if not settings.PRODUCTION:
        prepare()


def _ephemeral_secret_key_check(app_configs, **kwargs) -> list[checks.CheckMessage]:
    from django.conf import settings

    if not getattr(settings, "ECASE_SECRET_KEY_EPHEMERAL", False):
        return []
    return [
        checks.Warning(
            f"No development secret key in {settings.ECASE_SECRET_KEY_FILE} yet: this process uses a key of its "
            "own, so sessions end when it stops.",
            hint="Run `python manage.py prepare_dirs` (make run and migrate do it), or set ECASE_SECRET_KEY.",
            id="ecase.W001",
        )
    ]
