"""What every binary does before its own work (common/config/program.h), on the
built binaries: --version names the release and the git revision without
needing any setting, and an argument the binary does not take stops it with
one line and exit code 2 before it touches anything."""
import pathlib
import re
import subprocess

import pytest

import stack

REPO = pathlib.Path(__file__).resolve().parents[3]
# Commands each binary takes as its one positional argument.
COMMANDS = {"token-authority": ["migrate"], "tokengate-api": [], "http2kafka": [],
            "lineage-consumer": ["migrate"]}


def run(binary, *args):
    return subprocess.run([str(stack.BINARIES[binary]), *args], capture_output=True, text=True,
                          env={"PATH": "/usr/bin:/bin"}, timeout=30)


def project_version():
    return re.search(r"project\(tokengate VERSION ([\d.]+)", (REPO / "CMakeLists.txt").read_text()).group(1)


@pytest.mark.parametrize("binary", COMMANDS)
def test_version_names_the_release_and_the_revision(binary):
    result = run(binary, "--version")
    assert result.returncode == 0, result.stderr
    match = re.fullmatch(rf"{binary} (\S+) \(revision ([0-9a-f]{{40}}(-dirty)?)\)\n", result.stdout)
    assert match, result.stdout
    assert match.group(1) == project_version()


@pytest.mark.parametrize("binary", COMMANDS)
def test_unknown_argument_stops_the_binary_with_exit_code_2(binary):
    result = run(binary, "serve-please")
    assert result.returncode == 2
    known = ", ".join(COMMANDS[binary]) or "it takes none"
    assert result.stderr.startswith("invalid configuration: unknown argument 'serve-please'")
    assert known in result.stderr
    assert " INFO " not in result.stderr, "nothing should start before the arguments are checked"


@pytest.mark.parametrize("binary", [b for b, commands in COMMANDS.items() if commands])
def test_a_command_takes_no_further_argument(binary):
    result = run(binary, "migrate", "now")
    assert result.returncode == 2
    assert "unexpected argument 'now' after migrate" in result.stderr
