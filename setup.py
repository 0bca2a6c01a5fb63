"""What pyproject.toml cannot say.

1. The packages: chanconv and every subpackage, *found* (a hand-made list once left
   chanconv.exercises out of the wheel), plus the course's notebooks and pictures as data packages
   (chanconv.course_notebooks <- notebooks/, chanconv.course_assets <- assets/; the folders are
   mapped in pyproject.toml), so that ``python -m chanconv.course DIR`` works from a wheel.
2. The notebooks travel without their jupytext .py pairs, which setuptools would otherwise package
   as modules.
"""

from setuptools import find_packages, setup
from setuptools.command.build_py import build_py

DATA_PACKAGES = ["chanconv.course_notebooks", "chanconv.course_assets"]


class BuildPy(build_py):
    def find_package_modules(self, package, package_dir):
        if package in DATA_PACKAGES:
            return []
        return super().find_package_modules(package, package_dir)


setup(packages=[*find_packages(include=["chanconv", "chanconv.*"]), *DATA_PACKAGES], cmdclass={"build_py": BuildPy})
