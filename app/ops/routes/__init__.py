"""What the desktop and phone pages of the operations module share: service errors as HTTP answers."""
from __future__ import annotations

import contextlib

from litestar.exceptions import NotFoundException

from app.core.permissions import PermissionDenied
from app.ops import access


@contextlib.contextmanager
def service_errors():
    """access.NotFound → 404, access.NotAllowed → 403; Invalid and Conflict pass to the caller."""
    try:
        yield
    except access.NotFound:
        raise NotFoundException() from None
    except access.NotAllowed:
        raise PermissionDenied() from None
