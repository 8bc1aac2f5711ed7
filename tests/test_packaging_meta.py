# tests/test_packaging_meta.py: the wheel's metadata, one version source, and `pip install git+URL`.
"""What a user installing the package relies on: a license, classifiers, project URLs,
``py.typed`` and the JSON Schemas inside the wheel; one version, the one `gatekeeper
--version` prints; and the README's install-from-a-git-URL command working as written."""

from __future__ import annotations

import email
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest
from helpers import REPO_ROOT, git

import gatekeeper


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    dist = tmp_path_factory.mktemp("dist")
    build = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps",
                            "--no-build-isolation", "-w", str(dist), str(REPO_ROOT)],
                           capture_output=True, text=True)
    assert build.returncode == 0, build.stderr[-2000:]
    (whl,) = dist.glob("pact_gatekeeper-*.whl")
    return whl


def test_wheel_metadata(wheel: Path) -> None:
    zf = zipfile.ZipFile(wheel)
    names = zf.namelist()
    for name in ("config", "ledger", "policy", "report", "status"):
        assert f"gatekeeper/schemas/{name}.schema.json" in names
    assert "gatekeeper/py.typed" in names
    (meta_name,) = [n for n in names if n.endswith(".dist-info/METADATA")]
    meta = email.message_from_bytes(zf.read(meta_name))
    assert meta["Version"] == gatekeeper.__version__
    assert meta["License-Expression"] == "MIT"
    assert any(n.endswith("licenses/LICENSE") for n in names)
    classifiers = meta.get_all("Classifier") or []
    assert "Typing :: Typed" in classifiers
    assert "Programming Language :: Python :: 3.10" in classifiers
    urls = dict(u.split(", ", 1) for u in meta.get_all("Project-URL") or [])
    assert {"Homepage", "Source", "Issues", "Documentation"} <= set(urls)
    assert "git-hooks" in (meta["Keywords"] or "")


def test_version_has_one_source() -> None:
    text = (REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert 'dynamic = ["version"]' in text and "\nversion =" not in text
    proc = subprocess.run([sys.executable, "-m", "gatekeeper", "--version"], capture_output=True,
                          text=True, cwd=REPO_ROOT)
    assert proc.stdout.strip() == f"pact-gatekeeper {gatekeeper.__version__}"


def test_pip_install_from_a_git_url(tmp_path: Path) -> None:
    """`pip install "git+URL@TAG"` as the README says, from a clone tagged like a release
    (file:// instead of https://: no network here). Dependencies come from this
    environment, so nothing is downloaded."""
    src = tmp_path / "src"
    git(tmp_path, "clone", "-q", "--no-local", str(REPO_ROOT), str(src))
    git(src, "tag", f"v{gatekeeper.__version__}-test")
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=False)
    py = env_dir / "bin" / "python"
    site = subprocess.run([str(py), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                          capture_output=True, text=True, check=True).stdout.strip()
    # The running environment's packages, seen through a .pth line (no downloads).
    deps = [p for p in sys.path if p.endswith("site-packages")]
    Path(site, "deps.pth").write_text("\n".join(deps) + "\n", encoding="utf-8")
    url = f"git+file://{src}@v{gatekeeper.__version__}-test"
    inst = subprocess.run([sys.executable, "-m", "pip", "--python", str(py), "install", "-q",
                           "--no-deps", "--no-build-isolation", "--no-index", url],
                          capture_output=True, text=True)
    assert inst.returncode == 0, inst.stderr[-2000:]
    proc = subprocess.run([str(env_dir / "bin" / "gatekeeper"), "--version"], capture_output=True,
                          text=True, cwd=tmp_path, env={"PATH": "/usr/bin:/bin"})
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == f"pact-gatekeeper {gatekeeper.__version__}"
    where = subprocess.run([str(py), "-c", "import gatekeeper; print(gatekeeper.__file__)"],
                           capture_output=True, text=True, cwd=tmp_path, check=True).stdout
    assert where.startswith(site)
