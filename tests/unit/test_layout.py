"""The dependency direction of DESIGN.md, read from the imports with ast."""

import ast
import re
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
    pipeline = ROOT / "newsmon" / "pipeline"
    for path in _files("newsmon"):
        if path.is_relative_to(pipeline):
            continue
        assert not _imports(path) & set(LIBRARIES), f"{path.relative_to(ROOT)} imports a library package"


def test_no_heavy_imports_at_module_level_of_pipeline_cli_and_dags():
    for path in [*_files("newsmon/pipeline"), ROOT / "newsmon" / "cli.py", *_files("dags")]:
        heavy = _imports(path, top_level_only=True) & set(HEAVY)
        assert not heavy, f"{path.relative_to(ROOT)} imports {heavy} at module level"


def _module(path: Path, root: Path) -> str:
    parts = path.relative_to(root).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _runtime_imports(path: Path) -> list[ast.Import | ast.ImportFrom]:
    """Every import statement, in functions too, but not under `if TYPE_CHECKING:`."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    typing_only = {id(node) for branch in ast.walk(tree)
                   if isinstance(branch, ast.If) and "TYPE_CHECKING" in ast.unparse(branch.test)
                   for statement in branch.body for node in ast.walk(statement)}
    return [node for node in ast.walk(tree)
            if isinstance(node, ast.Import | ast.ImportFrom) and id(node) not in typing_only]


def _module_graph(package: Path) -> dict[str, set[str]]:
    """Which of the package's modules each of its modules imports (a package's __init__ under the
    package's name; `from pkg import mod` names the module mod)."""
    files = {_module(path, package.parent): path for path in sorted(package.rglob("*.py"))}
    graph = {}
    for name, path in files.items():
        here = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
        targets = set()
        for node in _runtime_imports(path):
            if isinstance(node, ast.Import):
                wanted = [alias.name for alias in node.names]
            else:
                base = ".".join(here[:len(here) - node.level + 1] + [node.module or ""] if node.level
                                else [node.module or ""]).rstrip(".")
                wanted = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in files else base for alias in node.names]
            for target in wanted:
                while target and target not in files:
                    target = target.rpartition(".")[0]
                if target and target != name:
                    targets.add(target)
        graph[name] = targets
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in sorted(graph[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while not component or component[-1] != node:
                component.append(stack.pop())
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_import_cycles_inside_a_package():
    """A module never needs, through any chain of imports (in functions too), a module that needs
    it: each package's modules form layers that can be read bottom up."""
    for package in (*LIBRARIES, "newsmon", "dags", "benchmarks", "tests"):
        cycles = _cycles(_module_graph(ROOT / package))
        assert not cycles, f"modules of {package} that import each other: {cycles}"


def test_the_cycle_check_follows_imports_in_functions_and_skips_type_checking(tmp_path):
    package = tmp_path / "pkg"
    (package / "sub").mkdir(parents=True)
    files = {"__init__.py": "", "sub/__init__.py": "",
             "a.py": "from pkg import b\nfrom . import c\n",
             "b.py": "def f():\n    from pkg.sub.d import g\n",
             "sub/d.py": "from ..a import x\n",
             "c.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import pkg.a\n",
             "e.py": "import pkg.a\n"}
    for name, text in files.items():
        (package / name).write_text(text, encoding="utf-8")
    assert _cycles(_module_graph(package)) == [["pkg.a", "pkg.b", "pkg.sub.d"]]
    (package / "b.py").write_text("", encoding="utf-8")
    assert _cycles(_module_graph(package)) == []


def test_the_readme_layout_names_every_module_of_newsmon_and_its_pipeline():
    """README's Layout list is where a reader looks for a module: a module added or renamed in newsmon/
    or newsmon/pipeline/ without it there fails here."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    layout = readme[readme.index("\nLayout:\n"):]
    layout = layout[:layout.index("\n\n", 1)]
    names = {p.stem for p in [*(ROOT / "newsmon").glob("*.py"), *(ROOT / "newsmon" / "pipeline").glob("*.py")]}
    names |= {f"{p.name}/" for p in (ROOT / "newsmon").iterdir() if (p / "__init__.py").exists() and p.name != "pipeline"}
    missing = sorted(n for n in names - {"__init__", "__main__"} if f"`{n}`" not in layout)
    assert not missing, f"README's Layout does not name {missing}"


def test_the_fast_lane_refuses_torch_transformers_and_airflow_at_import():
    """`make test-fast` loads tests.support.no_heavy_imports: a test there that would load a model or
    Airflow fails at the import, naming the marker to use, instead of making the lane slow."""
    import subprocess
    import sys

    probe = ("import tests.support.no_heavy_imports, json, duckdb\n"
             "for name in ('torch', 'transformers.models', 'airflow.sdk'):\n"
             "    try:\n        __import__(name)\n    except ImportError as exc:\n        print(exc)\n")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert [line.split(":")[0] for line in lines] == ["torch", "transformers", "airflow"]  # each refused at its top
    assert all("mark the test `model` or `airflow`" in line for line in lines)


_SQL = re.compile(r"^\s*(select|insert\s+into|update|delete\s+from|create|with)\s.*\b(from|into|table|set|view)\b",
                  re.IGNORECASE | re.DOTALL)


def _sql_strings(path: Path) -> list[str]:
    """String constants of a module that read as SQL statements (docstrings aside)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                  if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
                  and node.body and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)}
    return [node.value for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings
            and _SQL.match(node.value)]


def test_no_sql_statement_is_written_in_newsmon():
    """SQL lives in warehouse/ (functions with parameters, warehouse/queries/*.sql); newsmon calls them."""
    found = {str(path.relative_to(ROOT)): _sql_strings(path) for path in _files("newsmon")}
    assert {path: strings for path, strings in found.items() if strings} == {}
    # the check itself finds a statement where one is written
    assert _sql_strings(ROOT / "warehouse" / "health.py")
