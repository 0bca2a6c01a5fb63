"""Fresh virtual environments for the tests of the paths a student takes (the wheel, Colab's first cell)."""

import subprocess
import sys
import sysconfig
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def fresh_venv(where: Path):
    """A new venv whose site-packages also reads this environment's, minus its editable chanconv."""
    # no pip of its own: pip, setuptools, torch & co. come from this environment, as a student's would have them
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(where / "venv")], check=True)
    python = where / "venv" / "bin" / "python"
    site = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               capture_output=True, text=True, check=True).stdout.strip())
    # a plain path line: the packages there are importable, their own .pth files (the editable
    # chanconv's finder) are not run
    (site / "_outer_packages.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    probe = subprocess.run([str(python), "-c", "import importlib.util as u; print(u.find_spec('chanconv'))"],
                           capture_output=True, text=True, cwd=where, check=True).stdout.strip()
    assert probe == "None", f"the fresh environment must not see the checkout's chanconv: {probe}"
    return python, site


def student_venv(where: Path, wheel: Path):
    """A new venv with the student's pins and the wheel, as `pip install` gives it (no checkout on its path)."""
    subprocess.run([sys.executable, "-m", "venv", str(where / "venv")], check=True)
    python = where / "venv" / "bin" / "python"
    install = subprocess.run([str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check",
                              "-r", str(ROOT / "requirements.txt"), str(wheel)], capture_output=True, text=True,
                             cwd=where)
    assert install.returncode == 0, install.stderr[-3000:]
    site = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               capture_output=True, text=True, check=True).stdout.strip())
    return python, site
