"""The structure the code promises (docs/ARCHITECTURE.md): outside modalities/, nothing
tests a modality's name; the import contracts hold (lint-imports); every modality in
the registry provides what a Modality is."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from deepstart.modalities import ORDER, REGISTRY, Modality

SOURCE = Path(__file__).parents[1] / "src" / "deepstart"
NAMES = "|".join(sorted(REGISTRY))
BRANCH = re.compile(
    rf"""(==|!=|\bin\b)\s*\(?\s*["']({NAMES})["']"""  # kind == "image", kind in ("table", ...)
    rf"""|["']({NAMES})["']\s*(==|!=|\bin\b)"""  # "image" == kind
)


def test_no_branch_on_a_modality_name_outside_modalities():
    found = []
    for path in SOURCE.rglob("*.py"):
        if "modalities" in path.relative_to(SOURCE).parts:
            continue
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if BRANCH.search(line.split("#")[0]):
                found.append(f"{path.relative_to(SOURCE)}:{number}: {line.strip()}")
    assert not found, "\n".join(found)


def test_the_check_itself_finds_a_branch():
    assert BRANCH.search('if kind == "image":') and BRANCH.search('kind in ("table", "sequence")')
    assert not BRANCH.search('say("images")')


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_each_modality_is_registered_under_its_own_name(name):
    modality = REGISTRY[name]
    assert isinstance(modality, Modality) and modality.name == name
    assert modality.noun and set(modality.models) and all(len(v) == 2 for v in modality.models.values())


def test_detection_order_names_registered_modalities():
    assert set(ORDER) <= set(REGISTRY)


LINT = shutil.which("lint-imports", path=str(Path(sys.executable).parent))


@pytest.mark.skipif(LINT is None, reason="import-linter is not installed (pip install -e .[dev])")
def test_import_contracts_hold():
    done = subprocess.run([LINT, "--no-cache"], cwd=SOURCE.parents[1], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-3000:]
