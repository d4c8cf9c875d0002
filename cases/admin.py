"""Reference data for administrators. Case content is deliberately not registered (need-to-know)."""
from django.contrib import admin

from ecase.admin_site import site

from .models import CriminalCodeArticle, ProceduralActType, ProceedingsTerm


@admin.register(CriminalCodeArticle, site=site)
class CriminalCodeArticleAdmin(admin.ModelAdmin):
    list_display = ("article", "part", "title_ru", "gravity", "max_imprisonment_months", "needs_verification", "is_active")
    list_filter = ("gravity", "needs_verification", "is_active")
    search_fields = ("article", "title_ru", "title_kk")
    readonly_fields = ("gravity",)


@admin.register(ProceedingsTerm, site=site)
class ProceedingsTermAdmin(admin.ModelAdmin):
    list_display = ("form", "term_days", "term_months", "needs_verification")


@admin.register(ProceduralActType, site=site)
class ProceduralActTypeAdmin(admin.ModelAdmin):
    list_display = ("code", "name_ru", "kind", "requires_approval", "is_active")
    search_fields = ("code", "name_ru", "name_kk")
