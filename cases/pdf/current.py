"""Which signed PDF of an act to serve: the sealed one, or the latest signature of the round underway."""

from __future__ import annotations

from ..choices import ActStatus, RenderingState


def current_pdf_sha256(act) -> str | None:
    """The act's PDF with every signature it has so far, or None before the author's is on it.

    A signed act serves the sealed file. Before that (awaiting approval or agreement), the file
    the reviewer decides on is the round's latest signed revision: the prosecutor agrees to the
    very bytes the author and the head of unit signed.
    """
    if act.status == ActStatus.SIGNED:
        return act.pdf_sha256
    if act.content_version is None:
        return None
    return (
        act.renderings.filter(act_version=act.content_version, state=RenderingState.SIGNED)
        .order_by("-step")
        .values_list("pdf_sha256", flat=True)
        .first()
    )
