"""Helpers for tests: act like a browser (CSRF token from the page, then submit)."""
import re


def csrf_from(html: str) -> str:
    match = re.search(r'name="_csrf_token" value="([^"]+)"', html)
    assert match, "page has no CSRF field"
    return match.group(1)


async def login(client, username: str, password: str) -> object:
    client.cookies.clear()  # a fresh browser: no earlier session
    page = await client.get("/login")
    return await client.post("/login", data={"username": username, "password": password,
                                              "_csrf_token": csrf_from(page.text), "next": "/admin"})


async def post_form(client, page_url: str, action: str, data: dict):
    """Load a page (for its CSRF token) and submit a form to `action` as a browser would."""
    page = await client.get(page_url)
    return await client.post(action, data={**data, "_csrf_token": csrf_from(page.text)})


def xlsx(rows: list[list]) -> bytes:
    """An .xlsx file whose first sheet holds these rows (header first), as a user would upload it."""
    import io

    import openpyxl

    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def first_page_gray(data: bytes, tmp_path):
    """Page 1 of a PDF rasterised by poppler at 50 dpi, in grey levels (size and not-blank checks)."""
    import subprocess

    from PIL import Image

    source = tmp_path / "doc.pdf"
    source.write_bytes(data)
    subprocess.run(["pdftoppm", "-png", "-r", "50", "-f", "1", "-l", "1", str(source), str(tmp_path / "page")],
                   check=True, capture_output=True)
    (png,) = tmp_path.glob("page*.png")
    with Image.open(png) as image:
        return image.convert("L")


def dark_pixels(gray) -> int:
    """Pixels that are not (nearly) white: a blank page has none."""
    return sum(1 for value in gray.tobytes() if value < 200)  # one byte per pixel in mode L


class WebProcess:
    """The real app (`python -m app serve`) in its own process on a free 127.0.0.1 port against `database`:
    e2e's live server, and the second web process of the session tests."""

    def __init__(self, database: str, log_path, **env: str):
        import os
        import socket
        from pathlib import Path

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, "PORT": str(self.port), "HOST": "127.0.0.1", "DATABASE_URL": database,
                    "BASE_URL": self.url, **env}
        self.log_path = Path(log_path)
        self.root = Path(__file__).resolve().parent.parent

    def __enter__(self) -> "WebProcess":
        import socket
        import subprocess
        import sys
        import time

        self.log_path.parent.mkdir(exist_ok=True)
        self._log = open(self.log_path, "w")
        self.proc = subprocess.Popen([sys.executable, "-m", "app", "serve"], cwd=self.root, env=self.env,
                                     stdout=self._log, stderr=subprocess.STDOUT)
        for _ in range(300):
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return self
            except OSError:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"server exited; see {self.log_path}") from None
                time.sleep(0.1)
        raise RuntimeError(f"server did not open its port; see {self.log_path}")

    def wait_ready(self) -> "WebProcess":
        """Until /readyz answers 200: the database pool and the session listener are up."""
        import time

        import httpx

        for _ in range(100):
            try:
                if httpx.get(self.url + "/readyz", timeout=0.5).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        return self

    def __exit__(self, *_exc) -> None:
        self.proc.terminate()
        self.proc.wait(10)
        self._log.close()


class IdpProcess:
    """The built-in school IdP / WeChat / real-name simulator (`python -m app idp --port PORT`) in its own process
    on 127.0.0.1:`port`; ready once its OIDC discovery document answers (the `idp` fixture)."""

    def __init__(self, port: int, log_path, **env: str):
        import os
        from pathlib import Path

        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.env = {**os.environ, "TC_IDP_URL": self.url, **env}
        self.log_path = Path(log_path)
        self.root = Path(__file__).resolve().parent.parent

    def __enter__(self) -> "IdpProcess":
        import subprocess
        import sys
        import time

        import httpx

        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = open(self.log_path, "w")
        self.proc = subprocess.Popen([sys.executable, "-m", "app", "idp", "--port", str(self.port)], cwd=self.root,
                                     env=self.env, stdout=self._log, stderr=subprocess.STDOUT)
        for _ in range(300):
            try:
                if httpx.get(self.url + "/.well-known/openid-configuration", timeout=0.5).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            if self.proc.poll() is not None:
                self._log.close()
                raise RuntimeError(f"IdP simulator exited; see {self.log_path}")
            time.sleep(0.1)
        self.__exit__()
        raise RuntimeError(f"IdP simulator did not answer; see {self.log_path}")

    def __exit__(self, *_exc) -> None:
        import subprocess

        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:  # a stuck simulator must not hang the test session
            self.proc.kill()
            self.proc.wait(5)
        self._log.close()


class RedisServer:
    """A real `redis-server` (Debian package, installed by ./dev test) on a free 127.0.0.1 port, no persistence:
    the channels layer of several web processes (IM-13)."""

    def __init__(self, log_path):
        import socket
        from pathlib import Path

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.log_path = Path(log_path)

    def __enter__(self) -> "RedisServer":
        import shutil
        import socket
        import subprocess
        import time

        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("redis-server is not installed (./dev test installs the Debian package)")
        self.log_path.parent.mkdir(exist_ok=True)
        self._log = open(self.log_path, "w")
        self.proc = subprocess.Popen([binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                                      "--appendonly", "no"], stdout=self._log, stderr=subprocess.STDOUT)
        for _ in range(100):
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as conn:
                    conn.sendall(b"PING\r\n")
                    if conn.recv(16).startswith(b"+PONG"):
                        return self
            except OSError:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"redis-server exited; see {self.log_path}") from None
            time.sleep(0.1)
        raise RuntimeError(f"redis-server did not answer; see {self.log_path}")

    def __exit__(self, *exc) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except Exception:
            self.proc.kill()
        self._log.close()
