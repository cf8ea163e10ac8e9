"""docs/configuration.md must list every flag the binaries have, and only those.

The binaries are asked for their flags (`--helpfull`, `tokengate --help`) as
deploy/local/config_docs.py asks them when `make docs` regenerates the
document; a flag added without regenerating, or removed while still
documented, fails here with its name.
"""

import importlib.util
import os
import pathlib

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]
BUILD_DIR = pathlib.Path(os.environ.get("TOKENGATE_BUILD_DIR", REPO / "build"))

_spec = importlib.util.spec_from_file_location("config_docs", REPO / "deploy" / "local" / "config_docs.py")
config_docs = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(config_docs)


@pytest.fixture(scope="module")
def flags():
    return config_docs.collect(BUILD_DIR)


@pytest.fixture(scope="module")
def doc_text():
    return config_docs.DOC.read_text()


def test_every_binary_reports_its_flags(flags):
    services, cli = flags
    for binary, found in services.items():
        assert len(found) >= 5, f"{binary} --helpfull gave {len(found)} flags"
        assert all(not f.source.startswith("absl/") for f in found), binary
        assert any(f.from_env for f in found), f"{binary}: no flag is read from the environment"
    # import-data-rentgen's --from is read from the command line only.
    assert [f.from_env for f in services["token-authority"] if f.name == "from"] == [False]
    assert {"--authority", "--plaintext", "--json"} <= {flag for flag, *_ in cli}


def test_the_document_lists_every_flag_and_no_other(flags, doc_text):
    problems = config_docs.check(doc_text, *flags)
    assert not problems, "\n".join(problems + ["regenerate with: make docs"])


def test_the_document_is_what_make_docs_writes(flags, doc_text):
    regenerated = config_docs.regenerate(
        doc_text, config_docs.render_blocks(*flags, config_docs.read_notes(doc_text)))
    assert regenerated == doc_text, "a default or help string changed: regenerate with make docs"


def test_a_flag_missing_from_the_document_is_named(flags, doc_text):
    services, _ = flags
    # One of http2kafka's own flags: a shared block's (common/…) has its rows in the shared table.
    flag = next(f for f in services["http2kafka"] if f.source.startswith("services/http2kafka/"))
    variable = flag.key
    # Only the http2kafka row goes: another binary's row of the same name does not count.
    without = "\n".join(_rows_removed(doc_text, "http2kafka", variable))
    problems = config_docs.check(without, *flags)
    assert any(f"--{flag.name} ({variable}" in p and "missing" in p for p in problems), problems


def test_a_documented_flag_that_is_gone_is_named(flags, doc_text):
    extra = doc_text.replace(
        "<!-- end generated -->", "| `TOKENGATE_NO_SUCH_SETTING` | `1` | gone | |\n<!-- end generated -->", 1)
    problems = config_docs.check(extra, *flags)
    assert any("TOKENGATE_NO_SUCH_SETTING is documented" in p and "has no such flag" in p for p in problems), problems


def test_the_clients_flags_are_checked_too(flags, doc_text):
    without = "\n".join(line for line in doc_text.splitlines() if not line.startswith("| `--plaintext`"))
    problems = config_docs.check(without, *flags)
    assert any("--plaintext is missing" in p for p in problems), problems


def _rows_removed(doc_text, block, variable):
    inside = False
    for line in doc_text.splitlines():
        if line.startswith(f"<!-- generated:{block} "):
            inside = True
        elif line == "<!-- end generated -->":
            inside = False
        if inside and line.startswith(f"| `{variable}`"):
            continue
        yield line


@pytest.mark.parametrize("reported", [
    "../common/config/kafka_client_config.cc",           # ccache's base_dir: relative to the build folder
    "ci/check/tokengate/common/config/kafka_client_config.cc",  # a plain build: absolute, leading slash dropped
    "common/config/kafka_client_config.cc",
])
def test_a_source_is_named_relative_to_the_repository_however_it_was_compiled(reported):
    assert config_docs.repository_path(reported) == "common/config/kafka_client_config.cc"
    assert config_docs.repository_path("./absl/flags/parse.cc") == "absl/flags/parse.cc"
