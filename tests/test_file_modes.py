"""Run folders and the files in them get the modes the user's umask gives new files and
folders, not the private modes of the temporary names they are built under."""

from __future__ import annotations

import os
import stat

import pytest

import panoptisim
from panoptisim.io import umask

SMALL = {"population.size": 300, "run.steps": 10}


@pytest.fixture
def user_umask(request):
    old = os.umask(request.param)
    try:
        yield request.param
    finally:
        os.umask(old)


def modes(folder):
    """{path relative to folder: permission bits} of the folder and everything in it."""
    out = {".": stat.S_IMODE(folder.stat().st_mode)}
    for p in folder.rglob("*"):
        out[str(p.relative_to(folder))] = stat.S_IMODE(p.stat().st_mode)
    return out


@pytest.mark.parametrize("user_umask", [0o022, 0o027], indirect=True)
def test_a_run_folder_follows_the_umask(tmp_path, user_umask):
    assert umask() == user_umask
    out = tmp_path / "run"
    panoptisim.run("baseline", out=out, overrides=SMALL)
    found = modes(out)
    for name, mode in found.items():
        is_dir = (out / name).is_dir()
        expected = (0o777 if is_dir else 0o666) & ~user_umask
        assert mode == expected, (name, oct(mode), oct(expected))
    assert "summary.json" in found and "metrics.parquet" in found
