"""`tests/run-tests.sh --pytest FILE [-k NAME]` runs one pytest file, or one
case of it, with the environment the suite sets: a PostgreSQL and a Kafka
broker started for it and the TOKENGATE_TEST_* variables exported.

The script runs for real here, with its own throw-away PostgreSQL and Kafka
on free ports under a temporary .local (the venv and the Kafka jars are
linked from the real one), so it never touches the suite's own servers.
"""

import os
import pathlib
import shutil
import socket
import subprocess
import tempfile
import textwrap

import pytest

REPO = pathlib.Path(__file__).resolve().parents[3]
REAL_LOCAL = pathlib.Path(os.environ.get("TOKENGATE_LOCAL_DIR", REPO / ".local"))
RUN_TESTS = REPO / "tests" / "run-tests.sh"

# One probe file: a case that needs the suite's environment and one that always
# fails, so `-k` is seen to select.
PROBE = textwrap.dedent('''
    import os, socket

    def _reachable(host_port):
        host, port = host_port.rsplit(":", 1)
        with socket.create_connection((host, int(port)), timeout=5):
            return True

    def test_sees_the_suite_environment():
        url = os.environ["TOKENGATE_TEST_DATABASE_URL"]
        assert _reachable(url.split("@", 1)[1].split("/", 1)[0])
        assert _reachable(os.environ["TOKENGATE_TEST_KAFKA"])
        assert os.environ["TOKENGATE_BUILD_DIR"]
        assert os.environ["TOKENGATE_ROOT"]

    def test_always_fails():
        assert False, "selected although -k left it out"
''')


def _free_port_pair():
    """A port p with p+1 free too (Kafka's controller listens on p+1)."""
    for _ in range(50):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        # Below the ephemeral range as the suite's ports are, so no client socket takes it meanwhile.
        port = 20000 + port % 10000
        try:
            with socket.socket() as a, socket.socket() as b:
                a.bind(("127.0.0.1", port))
                b.bind(("127.0.0.1", port + 1))
            return port
        except OSError:
            continue
    pytest.fail("no two free ports in a row")


@pytest.fixture(scope="module")
def local_dir():
    # Not under pytest's own temporary folder: every pytest that starts makes
    # that one private again, and the PostgreSQL cluster belongs to the
    # postgres user, who must reach it.
    root = pathlib.Path(tempfile.mkdtemp(prefix="tokengate-run-tests-"))
    root.chmod(0o755)
    (root / "venv").symlink_to(REAL_LOCAL / "venv")
    (root / "kafka").mkdir()
    (root / "kafka" / "libs").symlink_to(REAL_LOCAL / "kafka" / "libs")
    yield root
    shutil.rmtree(root, ignore_errors=True)


def _run(local_dir, *args):
    probe = local_dir / "test_probe.py"
    probe.write_text(PROBE)
    pg_port = _free_port_pair()
    kafka_port = _free_port_pair()
    env = dict(os.environ, TOKENGATE_LOCAL_DIR=str(local_dir),
               TEST_PG_PORT=str(pg_port), TEST_KAFKA_PORT=str(kafka_port))
    for name in [n for n in env if n.startswith("TOKENGATE_TEST_")]:
        del env[name]  # only what run-tests.sh exports may count
    return subprocess.run([str(RUN_TESTS), "--pytest", str(probe), *args], env=env,
                          capture_output=True, text=True, timeout=300)


def test_one_case_runs_with_the_suite_environment(local_dir):
    result = _run(local_dir, "-k", "sees_the_suite_environment")
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "1 passed, 1 deselected" in output, output


def test_a_failing_case_fails_the_run(local_dir):
    result = _run(local_dir, "-k", "always_fails")
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert "selected although -k left it out" in output, output
