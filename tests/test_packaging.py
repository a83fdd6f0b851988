"""Dependencies declared honestly, and the project installs as a package with its commands and data."""
from __future__ import annotations

import ast
import functools
import re
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
RUNTIME = ["genmodels", "postprocess", "studio", "app.py"]
DEVELOPMENT = ["tests", "bench", "scripts"]
LOCAL = {"genmodels", "postprocess", "studio", "app", "tests", "bench", "scripts"}


def _python_files(places: list[str]) -> list[Path]:
    files: list[Path] = []
    for place in places:
        path = ROOT / place
        files += [path] if path.is_file() else sorted(path.rglob("*.py"))
    return files


def _third_party_imports(places: list[str]) -> set[str]:
    """Top-level names of every module imported anywhere in these files (lazy imports included) that is
    neither the standard library nor this project."""
    names: set[str] = set()
    for file in _python_files(places):
        for node in ast.walk(ast.parse(file.read_text(), str(file))):
            if isinstance(node, ast.Import):
                names |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
    return {n for n in names if n not in sys.stdlib_module_names and n not in LOCAL and n != "__future__"}


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _requirements(*files: str) -> set[str]:
    names: set[str] = set()
    for file in files:
        for line in (ROOT / file).read_text().splitlines():
            line = line.split("#")[0].strip()
            if line and not line.startswith("-"):
                names.add(_normalise(re.match(r"[A-Za-z0-9._-]+", line).group()))
    return names


@functools.cache
def _module_owners() -> dict[str, list[str]]:
    return metadata.packages_distributions()


def _distributions(module: str) -> set[str]:
    return {_normalise(d) for d in _module_owners().get(module, [module])}


def test_every_runtime_import_is_in_requirements_txt():
    declared = _requirements("requirements.txt")
    missing = {m for m in _third_party_imports(RUNTIME) if not _distributions(m) & declared}
    assert not missing, f"imported but not in requirements.txt: {sorted(missing)}"


def test_every_test_bench_and_script_import_is_declared():
    declared = _requirements("requirements.txt", "requirements-dev.txt")
    missing = {m for m in _third_party_imports(DEVELOPMENT) if not _distributions(m) & declared}
    assert not missing, f"imported by tests, benches or scripts but not declared: {sorted(missing)}"


def test_requirements_have_floors_and_pyproject_reads_them():
    for file in ("requirements.txt", "requirements-dev.txt"):
        for line in (ROOT / file).read_text().splitlines():
            line = line.split("#")[0].strip()
            if line and not line.startswith("-"):
                assert ">=" in line, f"{file}: {line} has no floor"
    assert 'dependencies = { file = ["requirements.txt"] }' in (ROOT / "pyproject.toml").read_text()
    front = (ROOT / "README.md").read_text().split("---")[1]
    assert f"sdk_version: {metadata.version('gradio')}" in front  # the Space runs the Gradio the tests run
    assert "hf_oauth: true" in front and "write-repos" in front and "manage-repos" in front
    assert re.search(r"^gradio\[oauth\]>=", (ROOT / "requirements.txt").read_text(), re.M)


def test_nothing_edits_sys_path():
    offenders = [str(f.relative_to(ROOT)) for f in _python_files(RUNTIME + DEVELOPMENT)
                 if re.search(r"sys\.path\.(insert|append)", f.read_text()) and f.name != "test_packaging.py"]
    assert offenders == []


@pytest.mark.slow  # builds a wheel and installs it into a fresh virtual environment
def test_the_wheel_installs_the_commands_and_the_built_in_models(tmp_path):
    """pip install . (a wheel, not editable) into a fresh environment: the four commands run from anywhere,
    and the built-in models and sample pictures come along as data files."""
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "-w",
                    str(tmp_path / "dist"), str(ROOT)], check=True, cwd=tmp_path, capture_output=True)
    (wheel,) = (tmp_path / "dist").glob("latent_studio-*.whl")
    env_dir = tmp_path / "env"
    # A venv that sees this interpreter's packages (torch, gradio...) but installs into itself: pip leaves
    # the checkout's editable install alone.
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", "--without-pip", str(env_dir)], check=True)
    python = env_dir / "bin" / "python"
    subprocess.run([str(python), "-m", "pip", "install", "-q", "--no-deps", str(wheel)], check=True,
                   capture_output=True, cwd=tmp_path)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    where = subprocess.run([str(python), "-c", "import genmodels; print(genmodels.__file__); "
                            "print(genmodels.SAMPLE_IMAGES)"], check=True, capture_output=True, text=True,
                           cwd=elsewhere).stdout.split()
    assert where[0].startswith(str(env_dir)) and where[1].startswith(str(env_dir))  # not the checkout
    # Every command is installed and names a function that imports (one process, one torch import).
    scripts = ["latent-studio", "latent-studio-train", "latent-studio-sample", "latent-studio-hub"]
    assert all((env_dir / "bin" / name).exists() for name in scripts)
    check = ("from importlib.metadata import entry_points; eps = entry_points(group='console_scripts'); "
             f"print(sorted(ep.name for ep in eps if ep.name in {scripts!r} and callable(ep.load())))")
    loaded = subprocess.run([str(python), "-c", check], capture_output=True, text=True, cwd=elsewhere)
    assert loaded.stdout.strip() == str(sorted(scripts)), loaded.stderr[-1000:]
    grid = elsewhere / "grid.png"
    drawn = subprocess.run([str(env_dir / "bin" / "latent-studio-sample"), "--model", "emoji-gan-64", "--n", "4",
                            "--out", str(grid)], capture_output=True, text=True, cwd=elsewhere)
    assert drawn.returncode == 0, drawn.stderr[-1000:]
    assert np.asarray(Image.open(grid)).std() > 10  # a real picture from the installed built-in model
