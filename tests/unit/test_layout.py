"""The dependency direction of DESIGN.md, read from the imports with ast."""

import ast
from pathlib import Path

import models
import warehouse

ROOT = Path(__file__).parents[2]
LIBRARIES = ("crawlers", "models", "warehouse")
HEAVY = ("scrapy", "torch", "transformers", "crawlers", "models", "warehouse")


def _imports(path: Path, *, top_level_only: bool = False) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    names = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def _files(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


def test_generic_package_names_resolve_inside_this_repository():
    assert Path(models.__file__).resolve().parent == ROOT / "models"
    assert Path(warehouse.__file__).resolve().parent == ROOT / "warehouse"


def test_libraries_do_not_import_each_other_or_dags():
    for package in LIBRARIES:
        for path in _files(package):
            others = (_imports(path) & set(LIBRARIES + ("dags",))) - {package}
            assert not others, f"{path.relative_to(ROOT)} imports {others}"


def test_only_pipeline_imports_the_libraries_from_newsmon():
    for path in _files("newsmon"):
        if path.name == "pipeline.py":
            continue
        assert not _imports(path) & set(LIBRARIES), f"{path.relative_to(ROOT)} imports a library package"


def test_no_heavy_imports_at_module_level_of_pipeline_cli_and_dags():
    for path in [ROOT / "newsmon" / "pipeline.py", ROOT / "newsmon" / "cli.py", *_files("dags")]:
        heavy = _imports(path, top_level_only=True) & set(HEAVY)
        assert not heavy, f"{path.relative_to(ROOT)} imports {heavy} at module level"
