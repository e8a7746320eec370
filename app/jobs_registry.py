"""Imports every module's job handlers so a worker knows them: the core ones listed here, and every
`<business module>/*jobs.py` found on disk."""
import importlib

import app.core.imports  # noqa: F401
import app.core.job_retention  # noqa: F401
import app.core.notify  # noqa: F401
import app.core.todos  # noqa: F401
from app.config import ROOT
from app.main import BUSINESS_MODULES

for _package in BUSINESS_MODULES:
    for _path in sorted((ROOT / _package.replace(".", "/")).glob("*jobs.py")):
        importlib.import_module(f"{_package}.{_path.stem}")
