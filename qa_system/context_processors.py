"""Template context shared by every page."""


def csp_nonce(request):
    """The request's Content-Security-Policy nonce as ``csp_nonce``, the name django-htmx's script
    tag and our templates read (django-csp's own processor calls it ``CSP_NONCE``). It stays lazy:
    the nonce joins the header only when a page uses it."""
    return {"csp_nonce": getattr(request, "csp_nonce", "")}
