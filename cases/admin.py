"""Reference data for administrators. Case content is deliberately not registered (need-to-know)."""

from django.contrib import admin

from accounts.admin_site import AdministratorsOnly, site

from .models import CriminalCodeArticle, CriminalCodeArticleVersion, ProceduralActType, ProceedingsTerm


class CriminalCodeArticleVersionInline(AdministratorsOnly, admin.TabularInline):
    """The dated sanctions of a part. A change of the law is a new row with the day it took effect;
    a row some case relies on refuses a change of its figures (``CriminalCodeArticleVersion.clean``),
    and no row is deleted: it is the law the cases of its period were qualified under."""

    model = CriminalCodeArticleVersion
    fields = (
        "in_force_from",
        "is_misdemeanour",
        "max_imprisonment_months",
        "life_imprisonment",
        "intent",
        "gravity",
        "amending_law",
        "needs_verification",
        "note",
    )
    readonly_fields = ("gravity",)
    extra = 1
    can_delete = False
    ordering = ("in_force_from",)


@admin.register(CriminalCodeArticle, site=site)
class CriminalCodeArticleAdmin(AdministratorsOnly, admin.ModelAdmin):
    list_display = ("article", "part", "title_ru", "gravity", "is_active")
    list_filter = ("gravity", "is_active", "versions__needs_verification")
    search_fields = ("article", "title_ru", "title_kk")
    readonly_fields = ("gravity",)
    inlines = [CriminalCodeArticleVersionInline]


@admin.register(ProceedingsTerm, site=site)
class ProceedingsTermAdmin(AdministratorsOnly, admin.ModelAdmin):
    list_display = ("form", "term_days", "term_months", "needs_verification")


@admin.register(ProceduralActType, site=site)
class ProceduralActTypeAdmin(AdministratorsOnly, admin.ModelAdmin):
    list_display = ("code", "name_ru", "kind", "is_active")
    search_fields = ("code", "name_ru", "name_kk")
