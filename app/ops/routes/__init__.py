"""What the desktop and phone pages of the operations module share: service errors as HTTP answers."""
from __future__ import annotations

import contextlib

from litestar.exceptions import NotFoundException

from app.content import api as content
from app.core.permissions import PermissionDenied
from app.ops import access


@contextlib.contextmanager
def service_errors():
    """NotFound → 404, NotAllowed → 403 (ours and the content platform's, for the wall and album); Invalid and
    Conflict pass to the caller."""
    try:
        yield
    except (access.NotFound, content.NotFound):
        raise NotFoundException() from None
    except (access.NotAllowed, content.NotAllowed):
        raise PermissionDenied() from None
