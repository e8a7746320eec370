"""The reference point for bench/web_baseline.py: a bare Litestar app with one GET handler returning a
small HTML page, served by granian exactly like the product (`app/cli.py` `_serve`: ASGI interface,
same worker count, no access log). No middleware, no database, no templates.

    .venv/bin/python bench/bare_app.py --port 8100 --workers 1
"""
from __future__ import annotations

import argparse
from pathlib import Path

from litestar import Litestar, MediaType, get

HTML = ("<!doctype html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><title>同窗</title></head>"
        "<body><h1>同窗 Tongchuang</h1><p>bare handler</p></body></html>")


@get("/", media_type=MediaType.HTML)
async def index() -> str:
    return HTML


app = Litestar(route_handlers=[index], debug=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8100)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    from granian import Granian
    from granian.constants import Interfaces

    Granian("bare_app:app", interface=Interfaces.ASGI, address=args.host, port=args.port, workers=args.workers,
            log_access=False, working_dir=Path(__file__).resolve().parent).serve()


if __name__ == "__main__":
    main()
