"""Imports every module's job handlers so a worker knows them. Add a module's jobs here."""
import app.core.notify  # noqa: F401
import app.core.imports  # noqa: F401
import app.core.todos  # noqa: F401
