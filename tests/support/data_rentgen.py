"""Data.Rentgen itself (PyPI, installed by deploy/local/data-rentgen.sh into
.local/data-rentgen), beside tokengate on the test PostgreSQL: a database
made by its own migrations and its REST server on a free port, for the
differential tests. Waits poll; nothing sleeps as synchronisation."""
import contextlib
import os
import pathlib
import signal
import subprocess
import tempfile
import urllib.parse

import requests

import stack

ROOT = pathlib.Path(__file__).resolve().parents[2]
VENV = pathlib.Path(os.environ.get("TOKENGATE_DATA_RENTGEN_VENV", ROOT / ".local" / "data-rentgen"))
PYTHON = VENV / "bin" / "python"
# Data.Rentgen's personal-token key; tokengate's authority gets the same.
PERSONAL_TOKEN_SECRET = "shared-with-data-rentgen-0123456789-abcdef"
ACCESS_TOKEN_SECRET = "data-rentgen-access-tokens-0123456789-abcdef"


def require_installed():
    assert PYTHON.exists(), (f"Data.Rentgen is not installed at {VENV}: run deploy/local/install-deps.sh "
                             "data-rentgen (make test does)")


def asyncpg_url(libpq_url):
    """postgresql://user@host:port/db → Data.Rentgen's SQLAlchemy URL (it insists on a password;
    the trusting test server accepts any)."""
    parts = urllib.parse.urlsplit(libpq_url)
    user = parts.username or "postgres"
    return f"postgresql+asyncpg://{user}:unused@{parts.hostname}:{parts.port}{parts.path}"


def environment(db_url):
    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "DATA_RENTGEN__DATABASE__URL": asyncpg_url(db_url),
            "DATA_RENTGEN__AUTH__PROVIDER": "data_rentgen.server.providers.auth.dummy_provider.DummyAuthProvider",
            "DATA_RENTGEN__AUTH__ACCESS_TOKEN__SECRET_KEY": ACCESS_TOKEN_SECRET,
            "DATA_RENTGEN__AUTH__PERSONAL_TOKENS__SECRET_KEY": PERSONAL_TOKEN_SECRET,
            "DATA_RENTGEN__SERVER__STATIC_FILES__ENABLED": "false"}


def migrate(db_url):
    """Data.Rentgen's own schema, by its own migrations."""
    result = subprocess.run([str(PYTHON), "-m", "data_rentgen.db.migrations", "upgrade", "head"],
                            env=environment(db_url), capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-4000:]


def _personal_tokens(enabled):
    return {} if enabled else {"DATA_RENTGEN__AUTH__PERSONAL_TOKENS__ENABLED": "false"}


def server(db_url, personal_tokens_enabled=True):
    """Data.Rentgen's REST server on a free port; yields its base URL."""
    return _serve("data_rentgen.server", {**environment(db_url), **_personal_tokens(personal_tokens_enabled)})


def http2kafka(db_url, kafka_bootstrap, personal_tokens_enabled=True):
    """Data.Rentgen's HTTP→Kafka proxy on a free port; yields its base URL."""
    return _serve("data_rentgen.http2kafka",
                  {**environment(db_url), "DATA_RENTGEN__KAFKA__BOOTSTRAP_SERVERS": f'["{kafka_bootstrap}"]',
                   **_personal_tokens(personal_tokens_enabled)})


@contextlib.contextmanager
def _serve(module, env):
    port = stack.free_port()
    log = tempfile.NamedTemporaryFile(prefix=f"{module}-", suffix=".log", delete=False)
    process = subprocess.Popen([str(PYTHON), "-m", module, "--host", "127.0.0.1", "--port", str(port)],
                               env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"

    def serving():
        if process.poll() is not None:
            return "exited"
        try:
            return requests.get(f"{url}/monitoring/ping", timeout=2).status_code == 200
        except requests.ConnectionError:
            return False

    try:
        state = stack.eventually(serving, timeout=60, interval=0.1)
        assert state is True, f"{module} did not start ({state}):\n{pathlib.Path(log.name).read_text()[-4000:]}"
        yield url
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
