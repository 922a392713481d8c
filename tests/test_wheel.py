"""The built wheel works on its own: it carries the trained checkpoints and every data file the code
reads, and from outside the checkout a music tool loads its checkpoint and the GameGrammar validator runs.

Offline throughout: the wheel is built without build isolation (this venv's setuptools) from a copy of
the sources, and installed `--no-deps --no-index` into a fresh venv that sees this venv's dependencies
through a `.pth` line. Paths listed in a `.pth` file are not scanned for further `.pth` files, so this
venv's editable install of the project stays invisible and the wheel's copy is the one imported.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PACKAGES = ("ontology", "agents", "tools", "pipelines", "retrieval")
DESIGN = REPO / "tests" / "data" / "mycelium_design.json"
MELODY = "X:1\nT:Test\nM:4/4\nL:1/4\nK:C\nC D E F | G A B c | c B A G | F E D C |]\n"

HARMONISE = """
import json, sys
import tools.music.harmony.tool as harmony
result = harmony.HarmoniseTool()({"melody": sys.argv[1], "out_dir": sys.argv[2], "stem": "tune"})
print(json.dumps({"module": harmony.__file__, "checkpoint": str(result.checkpoint), "chords": len(result.chords)}))
"""


def _run(command: list[str], cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=600, check=False)
    assert result.returncode == 0, f"{command[:4]} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    source = tmp_path_factory.mktemp("source")
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(REPO / name, source / name)
    for package in PACKAGES:
        shutil.copytree(REPO / package, source / package, ignore=shutil.ignore_patterns("__pycache__"))
    out = tmp_path_factory.mktemp("wheel")
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index", "-q",
          "-w", str(out), str(source)], cwd=source)
    return next(out.glob("generative_ontology-*.whl"))


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv with the wheel installed; returns its python."""
    venv = tmp_path_factory.mktemp("venv")
    _run([sys.executable, "-m", "venv", "--without-pip", str(venv)], cwd=venv)
    python = venv / "bin" / "python"
    _run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "--no-index", "-q",
          str(wheel)], cwd=venv)
    site = Path(_run([str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"], cwd=venv)
                .stdout.strip())
    (site / "outer_dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n")
    return python


def _clean_env() -> dict[str, str]:
    return {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "PYTHONHOME")}


def test_the_wheel_carries_checkpoints_data_and_type_markers(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    checkpoints = {path.relative_to(REPO).as_posix() for path in (REPO / "tools/music/checkpoints").glob("*.pt")}
    assert checkpoints and checkpoints <= names
    taggers = {path.relative_to(REPO).as_posix() for path in (REPO / "tools/audio/tagging/weights").iterdir()}
    assert len(taggers) == 3 and taggers <= names  # MTT and MSD weights and their ISC licence
    assert "retrieval/exemplar_games.jsonl" in names
    calibration = {path.relative_to(REPO).as_posix() for path in (REPO / "retrieval/calibration_games").glob("*.json")}
    assert calibration and calibration <= names
    studio = {path.relative_to(REPO).as_posix() for folder in ("templates", "static")
              for path in (REPO / "pipelines/studio" / folder).iterdir()}
    assert studio and studio <= names  # the studio's pages and their one script and stylesheet
    assert {f"{package}/py.typed" for package in PACKAGES} <= names


def test_the_installed_wheel_runs_a_tool_and_the_validator_outside_the_checkout(
    installed: Path, tmp_path: Path
) -> None:
    venv = installed.parents[1]
    (tmp_path / "tune.abc").write_text(MELODY)
    shutil.copy2(DESIGN, tmp_path / "design.json")
    env = _clean_env()

    harmonised = json.loads(_run([str(installed), "-c", HARMONISE, "tune.abc", "out"], tmp_path, env).stdout)
    assert Path(harmonised["module"]).is_relative_to(venv), harmonised["module"]
    assert Path(harmonised["checkpoint"]).is_relative_to(venv) and Path(harmonised["checkpoint"]).is_file()
    assert harmonised["chords"] > 0
    assert (tmp_path / "out" / "tune.mid").is_file()

    validated = _run([str(installed), "-m", "pipelines.gamegrammar", "validate", "design.json"], tmp_path, env)
    assert "0 errors" in validated.stderr
    where = _run([str(installed), "-c", "import pipelines.gamegrammar as g; print(g.__file__)"], tmp_path, env)
    assert Path(where.stdout.strip()).is_relative_to(venv)
