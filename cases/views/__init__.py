"""Pages of the cases app; each inherits cases.access.views.CaseScopedView."""
