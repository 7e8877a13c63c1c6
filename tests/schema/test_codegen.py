"""Typed clients generate from the SDL and the README's example queries, with the README's
scalar mapping: `@graphql-codegen/cli` (strictScalars) and `ariadne-codegen`.

Both are installed here, in tests/schema/codegen/: the npm packages from its package-lock.json,
ariadne-codegen (pinned in its requirements.txt) in a virtual environment of its own, as it
needs an older graphql-core and ruff than the project does. The test skips, saying why, only
when an install cannot be done (no registry)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

from schema.build import SDL_PATH

ROOT = Path(__file__).resolve().parents[2]
CODEGEN = Path(__file__).parent / "codegen"
README = (ROOT / "README.md").read_text(encoding="utf-8")
INSTALL_TIMEOUT_S = 600
RUN_TIMEOUT_S = 300


def _block(language: str, marker: str) -> str:
    blocks: list[str] = re.findall(rf"```{language}\n(.*?)```", README, re.DOTALL)
    return next(b for b in blocks if marker in b)


def _named_queries() -> str:
    """The README's examples, each named `ReadmeN` (generators name types after operations)."""
    blocks = re.findall(r"```graphql\n(.*?)```", README, re.DOTALL)
    assert len(blocks) >= 5
    return "\n".join(f"query Readme{n} {block.strip()}\n" for n, block in enumerate(blocks, 1))


def _run(command: list[str], cwd: Path, timeout: float) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False)


def _install_or_skip(command: list[str], what: str) -> None:
    try:
        result = _run(command, CODEGEN, INSTALL_TIMEOUT_S)
    except (OSError, subprocess.TimeoutExpired) as error:
        pytest.skip(f"{what} could not be installed: {error}")
    if result.returncode != 0:
        pytest.skip(f"{what} could not be installed (no package registry?): {result.stderr[-500:]}")


@pytest.fixture(scope="module")
def queries(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("codegen") / "queries.graphql"
    path.write_text(_named_queries(), encoding="utf-8")
    return path


def test_graphql_codegen_generates_typescript_with_strict_scalars(queries: Path) -> None:
    if shutil.which("npm") is None or shutil.which("node") is None:
        pytest.skip("node and npm are not installed")
    cli = CODEGEN / "node_modules" / ".bin" / "graphql-codegen"
    if not cli.exists():
        _install_or_skip(["npm", "ci", "--silent", "--no-audit", "--no-fund"], "@graphql-codegen/cli")
    config = yaml.safe_load(_block("yaml", "strictScalars"))
    (output_config,) = config["generates"].values()
    assert output_config["config"]["strictScalars"] is True
    target = queries.parent / "detente.ts"
    config = {"schema": str(SDL_PATH), "documents": str(queries), "generates": {str(target): output_config}}
    config_path = queries.parent / "codegen.yml"
    config_path.write_text(yaml.safe_dump(config), encoding="utf-8")
    result = _run([str(cli), "--config", str(config_path)], CODEGEN, RUN_TIMEOUT_S)
    assert result.returncode == 0, result.stdout + result.stderr
    generated = target.read_text(encoding="utf-8")
    assert "export type Readme1Query" in generated
    assert re.search(r"Date: \{ input: string; output: string; \}", generated), generated[:2000]
    assert ": any" not in generated


def test_ariadne_codegen_generates_a_python_client(queries: Path) -> None:
    python = CODEGEN / ".venv" / "bin" / "python"
    generator = CODEGEN / ".venv" / "bin" / "ariadne-codegen"
    if not generator.exists():
        _install_or_skip([sys.executable, "-m", "venv", ".venv"], "a virtual environment")
        _install_or_skip(
            [str(python), "-m", "pip", "install", "-q", "-r", "requirements.txt"], "ariadne-codegen"
        )
    settings = tomllib.loads(_block("toml", "ariadne-codegen"))["tool"]["ariadne-codegen"]
    assert settings["scalars"]["Date"] == {"type": "datetime.date"}
    settings.update(
        schema_path=str(SDL_PATH), queries_path=str(queries), target_package_path=str(queries.parent)
    )
    lines = ["[tool.ariadne-codegen]"]
    lines += [f'{key} = "{value}"' for key, value in settings.items() if isinstance(value, str)]
    for scalar, mapping in settings["scalars"].items():
        lines += [f"[tool.ariadne-codegen.scalars.{scalar}]", f'type = "{mapping["type"]}"']
    config = queries.parent / "pyproject.toml"
    config.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = _run([str(generator), "client", "--config", str(config)], queries.parent, RUN_TIMEOUT_S)
    assert result.returncode == 0, result.stdout + result.stderr
    package = settings["target_package_name"]
    # The generated client imports, and its models read a date as a `date`.
    check = (
        f"import datetime, {package} as c\n"
        "m = c.Readme5Timeline.model_validate({'periodStart': '2024-01-01', 'events': 1, 'cooperative': 0,"
        " 'competitive': 1, 'mixed': 0, 'neutral': 0, 'scoreMean': -1.0, 'topEvent': {'title': 'A', 'significance': 3}})\n"
        "assert m.period_start == datetime.date(2024, 1, 1), m\n"
    )
    imported = _run([str(python), "-c", check], queries.parent, RUN_TIMEOUT_S)
    assert imported.returncode == 0, imported.stderr
