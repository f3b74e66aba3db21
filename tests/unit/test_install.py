"""The Dockerfile (which cannot be built here) installs what `make setup` installs, the same way."""

import re
import shlex
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SETTINGS = ("TORCH", "TORCH_INDEX", "EXTRAS", "CONSTRAINTS")


def _joined_lines(text: str) -> list[str]:
    """Lines with backslash continuations joined, comments dropped."""
    text = re.sub(r"\\\n\s*", " ", text)
    return [line for line in text.splitlines() if not line.lstrip().startswith("#")]


def _commands(shell: str) -> list[list[str]]:
    """The simple commands of a shell line (split at && || ; and braces), as argument lists."""
    parts = re.split(r"&&|\|\||;|(?<!\S)[{}](?!\S)", shell)
    return [shlex.split(part) for part in parts if part.strip()]


def _pip_installs(commands: list[list[str]]) -> list[list[str]]:
    """`pip install` commands with the interpreter path, --quiet and redirections left out."""
    found = []
    for argv in commands:
        if argv[:1] and argv[0].endswith("/python") and argv[1:4] == ["-m", "pip", "install"]:
            found.append(["pip", "install"] + [a for a in argv[4:] if a not in ("--quiet", "2>/dev/null")])
    return found


def makefile() -> tuple[dict[str, str], list[list[str]]]:
    lines = _joined_lines((ROOT / "Makefile").read_text(encoding="utf-8"))
    variables = dict(re.findall(r"^([A-Z_]+) :?= (.*)$", "\n".join(lines), re.MULTILINE))
    start = next(i for i, line in enumerate(lines) if line.startswith("$(STAMP):"))
    recipe = []
    for line in lines[start + 1:]:
        if not line.startswith("\t"):
            break
        recipe.append(line.strip())
    expand = lambda s: re.sub(r"\$\((\w+)\)", lambda m: variables.get(m[1], m[0]), s)  # noqa: E731
    return variables, [c for line in recipe for c in _commands(expand(line))]


def dockerfile() -> tuple[str, dict[str, str], list[list[str]]]:
    lines = _joined_lines((ROOT / "Dockerfile").read_text(encoding="utf-8"))
    base = next(line.split()[1] for line in lines if line.startswith("FROM "))
    args = dict(re.findall(r"^ARG (\w+)=(\S+)$", "\n".join(lines), re.MULTILINE))
    expand = lambda s: re.sub(r"\$\{(\w+)\}", lambda m: args.get(m[1], m[0]), s)  # noqa: E731
    runs = [expand(line.removeprefix("RUN ")) for line in lines if line.startswith("RUN ")]
    return base, args, [c for run in runs for c in _commands(run)]


def test_dockerfile_names_the_makefiles_torch_pin_index_extras_and_constraints():
    variables, _ = makefile()
    base, args, _ = dockerfile()
    assert {name: args.get(name) for name in SETTINGS} == {name: variables[name] for name in SETTINGS}
    assert variables["TORCH_INDEX"] == "https://download.pytorch.org/whl/cpu"
    python = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["requires-python"]
    assert base == "python:3.11-slim" and ">=3.11" in python


def test_dockerfile_runs_the_makefiles_install_commands():
    variables, make_commands = makefile()
    _, _, docker_commands = dockerfile()
    make_pip, docker_pip = _pip_installs(make_commands), _pip_installs(docker_commands)
    torch = variables["TORCH"]
    # make tries a local wheel first (pip's configured find-links), which a fresh image never has
    local = ["pip", "install", "--no-deps", "--no-index", torch]
    assert make_pip[1] == local
    assert docker_pip == [make_pip[0]] + make_pip[2:]
    assert docker_pip == [
        ["pip", "install", "--upgrade", "pip"],
        ["pip", "install", "--no-deps", "--index-url", variables["TORCH_INDEX"], torch],
        ["pip", "install", "-c", variables["CONSTRAINTS"], "-e", f".[{variables['EXTRAS']}]"],
    ]
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["optional-dependencies"]
    assert set(variables["EXTRAS"].split(",")) <= set(extras)


def test_constraints_pin_the_torch_that_is_installed_first_and_resolve_on_any_index():
    variables, _ = makefile()
    pins = dict(line.split("==", 1) for line in (ROOT / variables["CONSTRAINTS"]).read_text().splitlines()
                if "==" in line and not line.startswith("#"))
    name, version = variables["TORCH"].split("==")
    # no local version label (+cpu): it exists only on PyTorch's index, and ==2.13.0 matches 2.13.0+cpu
    assert pins[name] == version and "+" not in version


def test_readme_names_the_same_torch_pin_and_index_and_says_the_image_is_not_built_here():
    variables, _ = makefile()
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert set(re.findall(r"torch==[\w.+]+", readme)) == {variables["TORCH"]}
    assert variables["TORCH_INDEX"] in readme
    assert "`Dockerfile`" in readme and "no Docker engine" in readme
