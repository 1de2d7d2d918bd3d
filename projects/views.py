"""Manager pages: portfolio, project, audit report (first version: placeholders)."""

from django.http import Http404, HttpResponse


def portfolio(request):
    return HttpResponse("Portfolio")


def portfolio_csv(request):
    return HttpResponse("", content_type="text/csv")


def project_detail(request, slug):
    raise Http404


def audit_detail(request, pk):
    raise Http404


def audit_markdown(request, pk):
    raise Http404
