# tests/test_packaging.py: an installed wheel (not the checkout) finds its bundled policy packs.
from __future__ import annotations

import subprocess
import sys
import venv
from pathlib import Path

from helpers import REPO_ROOT


def test_wheel_ships_policies(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    build = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                            "-w", str(dist), str(REPO_ROOT)], capture_output=True, text=True)
    assert build.returncode == 0, build.stderr[-2000:]
    (wheel,) = dist.glob("pact_gatekeeper-*.whl")
    import zipfile

    names = zipfile.ZipFile(wheel).namelist()
    assert "gatekeeper/policies/pact-core.yaml" in names
    assert "gatekeeper/policies/pact-signals.yaml" in names
    # Install it into a fresh venv that can see the already-installed dependencies, run it
    # from a directory far from the checkout, and list the bundled rules. The dependencies
    # are wherever the test runs (usually a virtual environment, whose packages
    # system_site_packages would not show): a .pth line appends that site-packages after
    # the new venv's own, without processing its .pth files (so no editable checkout).
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=False)
    py = env_dir / "bin" / "python"
    site = subprocess.run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()
    import sysconfig

    outer = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    Path(site, "outer-deps.pth").write_text("".join(f"{d}\n" for d in sorted(outer)), encoding="utf-8")
    inst = subprocess.run([str(py), "-m", "pip", "install", "--no-deps", "--no-index",
                           "--force-reinstall", str(wheel)], capture_output=True, text=True)
    assert inst.returncode == 0, inst.stderr[-2000:]
    work = tmp_path / "elsewhere"
    work.mkdir()
    subprocess.run(["git", "init", "-q"], cwd=work, check=True)
    code = ("import gatekeeper, gatekeeper.policy as p; print(gatekeeper.__file__); "
            "print(p.bundled_dir())")
    out = subprocess.run([str(py), "-c", code], cwd=work, capture_output=True, text=True,
                         env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)})
    assert out.returncode == 0, out.stderr
    pkg_file, bundled = out.stdout.split()
    assert str(env_dir) in pkg_file, "the wheel's copy must be imported, not the checkout"
    assert bundled.startswith(str(env_dir))
    listing = subprocess.run([str(env_dir / "bin" / "gatekeeper"), "policy", "list"], cwd=work,
                             capture_output=True, text=True,
                             env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)})
    assert listing.returncode == 0, listing.stderr
    for rule in ("phase-gate", "domain-boundary", "scope-budget", "hardcoded-secret"):
        assert rule in listing.stdout
    assert str(REPO_ROOT) not in pkg_file
