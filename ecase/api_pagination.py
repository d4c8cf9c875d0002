"""Paging of every API list (a module of its own: DRF imports it while building its generic views)."""
from rest_framework.pagination import PageNumberPagination


class Pagination(PageNumberPagination):
    """Every list is paged: 25 rows by default, ``page_size`` up to 100."""

    page_size = 25
    page_size_query_param = "page_size"
    max_page_size = 100
