from django.urls import path

from dashboard import portfolio_views, trends_views, views

urlpatterns = [
    path("maturity/", portfolio_views.portfolio, name="portfolio"),
    path("maturity/portfolio.csv", portfolio_views.portfolio_csv, name="portfolio-csv"),
    path("maturity/trends/", trends_views.trends_page, name="trends"),
    path("maturity/trends.csv", trends_views.trends_csv, name="trends-csv"),
    path("projects/<slug:slug>/", views.project_detail, name="project-detail"),
    path("audits/<int:pk>/", views.audit_detail, name="audit-detail"),
    path("audits/<int:pk>/report.md", views.audit_markdown, name="audit-markdown"),
]
