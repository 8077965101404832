"""Upload size limits, enforced while the request comes in rather than once it is stored.

Each page that takes files names its limit: ``limit_uploads`` for a view function,
``UploadLimitAdminMixin`` for an admin whose form has a file field. A request whose declared length
already exceeds the limit is refused without reading it; otherwise ``SizeLimitHandler`` counts the
bytes of the files as they arrive and stops the upload as soon as they pass the limit, before the
next chunk is written: the part already received (a temporary file) is deleted and nothing reaches
the view. The person is sent back to the page with a message naming the limit.

Upload handlers can only be changed before anything reads ``request.POST``, and the CSRF check
reads it: so, as Django's documentation on modifying upload handlers describes, these views are
``csrf_exempt`` and check CSRF themselves (``csrf_protect``) once the limit is in place. A refused
upload changes nothing, so it needs no CSRF check.
"""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.defaultfilters import filesizeformat
from django.views.decorators.csrf import csrf_exempt, csrf_protect

# Room for a form's other fields and the multipart headers beside the files, on top of the fields'
# own limit (DATA_UPLOAD_MAX_MEMORY_SIZE), before a declared length is refused unread.
MULTIPART_OVERHEAD = 256 * 1024

Limit = int | Callable[[], int]


class SizeLimitHandler(FileUploadHandler):
    """Passes file data on to the next handlers until the request's files together pass
    ``max_bytes``, then stops the upload. Django then closes (and so deletes) the file being
    received and reads the rest of the request without keeping it, so that the browser gets the
    answer rather than a broken connection."""

    def __init__(self, request: HttpRequest, max_bytes: int) -> None:
        super().__init__(request)
        self.max_bytes = max_bytes
        self.received = 0
        self.refused = False

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        self.received += len(raw_data)
        if self.received > self.max_bytes:
            self.refused = True
            raise StopUpload(connection_reset=False)
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None  # the next handler (memory or temporary file) makes the file


def too_large_message(max_bytes: int, *, several: bool = False) -> str:
    if several:
        return (
            f"The files are too large: up to {filesizeformat(max_bytes)} can be uploaded at once. "
            "Nothing was stored; upload fewer or smaller files."
        )
    return f"The file is too large: files of up to {filesizeformat(max_bytes)} can be uploaded here. Nothing was stored."


def upload_refusal(request: HttpRequest, max_bytes: int, *, several: bool = False) -> str | None:
    """The message to show when the request's files are over ``max_bytes`` (the upload is then
    discarded), else None with the request's data read under the limit. Call it before anything
    reads ``request.POST`` or ``request.FILES``."""
    if request.method != "POST":
        return None
    fields = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if fields is not None and declared > max_bytes + fields + MULTIPART_OVERHEAD:
        return too_large_message(max_bytes, several=several)
    handler = SizeLimitHandler(request, max_bytes)
    request.upload_handlers = [handler, *request.upload_handlers]
    request.POST  # noqa: B018 (parse the body now, under the limit)
    if handler.refused:
        return too_large_message(max_bytes, several=several)
    return None


def _refused_response(request: HttpRequest, message: str) -> HttpResponse:
    messages.error(request, message)
    return HttpResponseRedirect(request.get_full_path())


def limit_uploads(max_bytes: Limit, *, several: bool = False) -> Callable:
    """Decorate a view that takes files: a POST whose files are over ``max_bytes`` (a number, or a
    function that reads it from the settings) is refused, with a message, by a redirect to the same
    page; any other request goes to the view under ``csrf_protect``. ``several``: the form takes
    several files, which share the limit. Put ``login_required`` outside it."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        protected = csrf_protect(view)

        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            limit = max_bytes() if callable(max_bytes) else max_bytes
            message = upload_refusal(request, limit, several=several)
            if message:
                return _refused_response(request, message)
            return protected(request, *args, **kwargs)

        return csrf_exempt(wrapper)

    return decorator


class UploadLimitAdminMixin:
    """For a ModelAdmin whose form takes a file: adding, changing and reverting to a history
    version refuse a file over ``upload_max_bytes`` while it is received."""

    upload_max_bytes: int

    def _limited(self, view: Callable[..., HttpResponse], request: HttpRequest, *args: Any) -> HttpResponse:
        return limit_uploads(self.upload_max_bytes)(view)(request, *args)

    @csrf_exempt
    def add_view(self, request, form_url="", extra_context=None):
        return self._limited(super().add_view, request, form_url, extra_context)  # type: ignore[misc]

    @csrf_exempt
    def change_view(self, request, object_id, form_url="", extra_context=None):
        return self._limited(super().change_view, request, object_id, form_url, extra_context)  # type: ignore[misc]

    @csrf_exempt
    def history_form_view(self, request, object_id, version_id, extra_context=None):
        return self._limited(super().history_form_view, request, object_id, version_id, extra_context)  # type: ignore[misc]
