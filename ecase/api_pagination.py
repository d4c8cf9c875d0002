"""Paging of every API list (a module of its own: DRF imports it while building its generic views)."""

from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination


class Pagination(PageNumberPagination):
    """Every list is paged: 25 rows by default, ``page_size`` up to 100 (larger asks are capped).

    Both parameters are checked strictly (docs/API.md): DRF would read ``page_size=abc`` or
    ``-5`` as "the default" and an empty ``page=`` as the first page, answering 200 to a request
    the client got wrong — which hides the client's bug and makes a retry loop page forever.
    """

    page_size = 25
    page_size_query_param = "page_size"
    max_page_size = 100

    def paginate_queryset(self, queryset, request, view=None):
        errors = {
            name: [_("Give a whole number of 1 or more.")]
            for name in (self.page_query_param, self.page_size_query_param)
            if name in request.query_params and not _positive_integer(request.query_params[name])
        }
        if errors:
            raise ValidationError(errors)
        return super().paginate_queryset(queryset, request, view)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            parameter["schema"]["minimum"] = 1  # the schema says what paginate_queryset enforces
        return parameters


def _positive_integer(raw: str) -> bool:
    # ASCII digits only: str.isdigit() accepts "²" and "٣", which int() then refuses or reads.
    return raw.isascii() and raw.isdigit() and int(raw) >= 1
