"""deploy/docker/Dockerfile checked without a Docker engine, so these hold
even where the image tests (tests/image, which build and run the image) are
left out: its Debian packages exist and provide every shared library the
built binaries load, the variables it sets are settings the binaries read,
its user and ports are the helm chart's.
"""
import functools
import os
import pathlib
import re
import subprocess

import pytest
import yaml

REPO = pathlib.Path(__file__).resolve().parents[3]
DOCKERFILE = REPO / "deploy" / "docker" / "Dockerfile"
HELM_VALUES = REPO / "helm" / "tokengate" / "values.yaml"

# Binary → its folder under services/ (and under the build tree).
BINARIES = {
    "token-authority": "token_authority",
    "tokengate-api": "api",
    "http2kafka": "http2kafka",
    "lineage-consumer": "consumer",
    "tokengate": "cli",
}
RUNTIME_USER = 10001
# The shared runtimes of GCC's sanitizers: a sanitizer build loads them, the
# image never carries them (deploy/docker/build-image.sh refuses such a build).
SANITIZER_RUNTIME = re.compile(r"^lib(asan|ubsan|tsan|lsan|hwasan)\d+$")


def dockerfile_instructions():
    """[(KEYWORD, arguments)] with continuation lines joined."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    instructions = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, args = line.partition(" ")
            instructions.append((keyword.upper(), args.strip()))
    return instructions


def apt_packages():
    packages = []
    for keyword, args in dockerfile_instructions():
        if keyword != "RUN":
            continue
        for command in re.split(r"&&|;", args):
            words = command.split()
            if "apt-get" in words and "install" in words:
                packages += [w for w in words[words.index("install") + 1:] if not w.startswith("-")]
    return packages


def flag_env_names(binary):
    """TOKENGATE_* names the binary's sources read: each ABSL_FLAG defined in its
    folder or in common/, and listed in a config block's FlagList ("{FLAGS_name"),
    which is what LoadFlags maps to the environment."""
    service_sources = "".join(
        p.read_text() for p in (REPO / "services" / BINARIES[binary]).rglob("*.cc"))
    all_sources = service_sources + "".join(p.read_text() for p in (REPO / "common").rglob("*.cc"))
    defined = set(re.findall(r"ABSL_FLAG\(\s*[\w:<>]+\s*,\s*(\w+)\s*,", all_sources))
    listed = {name for name in defined if re.search(rf"\{{FLAGS_{name}\b", all_sources)}
    return {f"TOKENGATE_{n.upper()}" for n in listed}


def build_dir():
    value = os.environ.get("TOKENGATE_BUILD_DIR")
    assert value, "TOKENGATE_BUILD_DIR is not set: run through ctest / make test"
    return pathlib.Path(value)


def sanitizer_build():
    cache = (build_dir() / "CMakeCache.txt").read_text()
    return bool(re.search(r"^TOKENGATE_SANITIZE:STRING=\S", cache, re.M))


def built_binary(binary):
    path = build_dir() / "services" / BINARIES[binary] / binary
    assert path.is_file(), f"{binary} is not built ({path})"
    return path


def test_dockerfile_env_names_are_settings_of_some_binary():
    env_names = {pair.split("=", 1)[0] for keyword, args in dockerfile_instructions()
                 if keyword == "ENV" for pair in args.split()}
    tokengate = {n for n in env_names if n.startswith("TOKENGATE_")}
    assert tokengate, "the Dockerfile sets no TOKENGATE_* variable"
    read = set().union(*(flag_env_names(b) for b in BINARIES))
    assert tokengate <= read, f"no binary reads {sorted(tokengate - read)}"


def test_image_runs_as_the_non_root_user_of_the_helm_chart():
    users = [args for keyword, args in dockerfile_instructions() if keyword == "USER"]
    assert users == [f"{RUNTIME_USER}:{RUNTIME_USER}"]
    values = yaml.safe_load(HELM_VALUES.read_text())
    assert values["podSecurityContext"]["runAsUser"] == RUNTIME_USER
    assert values["podSecurityContext"]["runAsGroup"] == RUNTIME_USER


def test_exposed_ports_are_the_helm_charts():
    exposed = {int(port) for keyword, args in dockerfile_instructions() if keyword == "EXPOSE"
               for port in args.split()}
    values = yaml.safe_load(HELM_VALUES.read_text())
    chart = {port for component in ("authority", "api", "http2kafka", "consumer")
             for port in values[component]["containerPorts"].values()}
    assert exposed == chart


@functools.lru_cache(maxsize=None)
def debian_packages(names):
    """Which of `names` this Debian release has (one apt-cache call: each takes ~1 s)."""
    result = subprocess.run(["apt-cache", "show", "--no-all-versions", *names],
                            capture_output=True, text=True, check=False)
    return set(re.findall(r"^Package: (\S+)$", result.stdout, re.M))


@pytest.mark.parametrize("package", apt_packages())
def test_runtime_package_exists_in_debian(package):
    assert package in debian_packages(tuple(apt_packages())), f"Debian 12 has no package {package}"


def dpkg_owners(libraries):
    """library path → the Debian package that installed it (usrmerge: /lib or /usr/lib)."""
    candidates = {}
    for library in libraries:
        real = os.path.realpath(library)
        for path in {real, real.replace("/usr/lib/", "/lib/", 1), real.replace("/lib/", "/usr/lib/", 1)}:
            candidates[path] = library
    result = subprocess.run(["dpkg", "-S", *candidates], capture_output=True, text=True, check=False)
    owners = {}
    for line in result.stdout.splitlines():
        package, _, path = line.partition(": ")
        owners[candidates[path]] = package.split(":")[0]
    unowned = set(libraries) - set(owners)
    assert not unowned, f"no Debian package owns {sorted(unowned)}"
    return owners


@functools.lru_cache(maxsize=None)
def runtime_closure():
    """Every package the Dockerfile's install pulls in."""
    result = subprocess.run(
        ["apt-cache", "depends", "--recurse", "--no-recommends", "--no-suggests", "--no-conflicts",
         "--no-breaks", "--no-replaces", "--no-enhances", *apt_packages()],
        capture_output=True, text=True, check=True)
    return {line.strip() for line in result.stdout.splitlines()
            if line and not line.startswith(" ") and not line.startswith("<")}


@pytest.mark.parametrize("binary", sorted(BINARIES))
def test_runtime_packages_provide_every_shared_library(binary):
    result = subprocess.run(["ldd", str(built_binary(binary))], capture_output=True, text=True,
                            check=True)
    libraries = re.findall(r"=> (/\S+)", result.stdout)
    assert libraries, result.stdout
    owners = dpkg_owners(libraries)
    sanitizer = {lib for lib, owner in owners.items() if SANITIZER_RUNTIME.match(owner)}
    assert not sanitizer or sanitizer_build(), f"a plain build loads {sorted(sanitizer)}"
    missing = {lib: owner for lib, owner in owners.items()
               if owner not in runtime_closure() and lib not in sanitizer}
    assert not missing, f"the runtime image lacks the packages of {missing}"
