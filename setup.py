"""Only one thing pyproject.toml cannot say: the course's notebooks travel in the wheel as data
(chanconv.course_notebooks <- notebooks/), without their jupytext .py pairs, which setuptools
would otherwise package as modules."""

from setuptools import setup
from setuptools.command.build_py import build_py


class BuildPy(build_py):
    def find_package_modules(self, package, package_dir):
        if package.startswith("chanconv.course_"):
            return []
        return super().find_package_modules(package, package_dir)


setup(cmdclass={"build_py": BuildPy})
