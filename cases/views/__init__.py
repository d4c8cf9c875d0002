"""Pages of the cases app; each inherits ecase.scoped_views.CaseScopedView."""
