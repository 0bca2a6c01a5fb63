# chanconv: the whole workflow. `make help` lists the targets.
# Two commands get a newcomer running: `make lab` and `make test`.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PY     := $(BIN)/python
STAMP  := $(VENV)/.chanconv-setup
PORT   ?= 8888
# TORCH_INDEX=https://download.pytorch.org/whl/cpu installs torch's CPU build first (Linux without
# an NVIDIA GPU: PyPI's default Linux wheel is the CUDA build, several GB); the pin stays the same.
TORCH_INDEX ?=
TORCH_PIN   := $(shell grep -E '^torch==' requirements.txt)
# Jupyter refuses to run as root unless told; containers often are root (the token stays on).
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root)

NOTEBOOK_SOURCES := $(sort $(wildcard notebooks/*.py))
EN_NOTEBOOKS     := $(NOTEBOOK_SOURCES:.py=.ipynb)
# the Chinese edition: one per English notebook, built from it and the twins in i18n/zh/ (make zh)
ZH_NOTEBOOKS     := $(patsubst notebooks/%,notebooks/zh/%,$(EN_NOTEBOOKS))
NOTEBOOKS        := $(EN_NOTEBOOKS) $(ZH_NOTEBOOKS)
NBVAL_FLAGS      := --nbval --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg
# one clean top-to-bottom run on the CPU, outputs stored in the notebook (what nbval compares)
EXECUTE          := CHANCONV_DEVICE=cpu $(BIN)/jupyter nbconvert --to notebook --execute --inplace \
  --ExecutePreprocessor.kernel_name=python3 --ExecutePreprocessor.timeout=300 --ExecutePreprocessor.record_timing=False
# make zh NB=03_1x1_convolution: build and execute only that notebook's translation
NB               ?=
ZH_SELECTED      := $(if $(NB),$(foreach n,$(NB),notebooks/zh/$(n).ipynb),$(ZH_NOTEBOOKS))

.PHONY: help setup lab test test-fast notebooks zh sync header bench bench-widgets slides site exercises student instructor grade assets i18n clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | expand -t 14

setup: $(STAMP)  ## create .venv: the student's and the developer's pins, chanconv (editable), Lab settings

# requirements-dev.txt includes requirements.txt (what a student needs) and adds the tools.
# The kernel the notebooks name, python3, is registered in .venv: .venv's own interpreter.
# jupyter/: Lab settings shipped with the project (no news pop-up; the mathjax3 extension that
# jupyterlab-rise pulls in is switched off, Lab 4's own MathJax renders the math).
$(STAMP): requirements.txt requirements-dev.txt pyproject.toml jupyter/overrides.json
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(if $(TORCH_INDEX),$(PY) -m pip install --quiet --disable-pip-version-check $(TORCH_PIN) --index-url $(TORCH_INDEX))
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	$(PY) -m ipykernel install --sys-prefix --name python3 >/dev/null
	mkdir -p $(VENV)/share/jupyter/lab/settings
	cp jupyter/overrides.json $(VENV)/share/jupyter/lab/settings/overrides.json
	$(BIN)/jupyter labextension disable --level=sys_prefix @jupyterlab/mathjax3-extension >/dev/null 2>&1
	@touch $@
	@echo "setup done: $(VENV) holds the pinned dependencies, chanconv and its python3 kernel"

lab: setup  ## start JupyterLab on 127.0.0.1 in notebooks/ (the URL it prints carries the token)
	cd notebooks && ../$(BIN)/jupyter lab --ip=127.0.0.1 --port=$(PORT) --no-browser $(ROOT_FLAG)

CHROMIUM ?= /usr/bin/chromium

test: setup  ## the whole suite: pytest on tests/, strict nbval on every notebook (both languages), jupytext pairs, ruff, browser
	@test -x $(CHROMIUM) || echo "NOTE: the browser test will be SKIPPED: no Chromium at $(CHROMIUM) (as root: apt-get install chromium)"
	$(PY) -m pytest tests $(NOTEBOOKS) $(NBVAL_FLAGS)
	$(PY) -m ruff check .
	@echo "make test: all checks passed"

test-fast: setup  ## pytest on tests/ only (no notebooks, no browser)
	$(PY) -m pytest tests -m "not browser" -q

sync: setup  ## bring every notebook and its py:percent text pair in line (the newer one wins)
	$(BIN)/jupytext --sync $(NOTEBOOK_SOURCES)

header: setup  ## every notebook: the python3 kernelspec and the Colab cell first (idempotent; after a merge too)
	$(PY) scripts/notebook_header.py

notebooks: sync header  ## re-execute every notebook top to bottom and store its outputs (what nbval compares); then make zh
	@for nb in $(EN_NOTEBOOKS); do echo "executing $$nb"; $(EXECUTE) $$nb || exit 1; done
	$(BIN)/jupytext --sync $(NOTEBOOK_SOURCES)
	@$(MAKE) --no-print-directory zh

zh: setup  ## the Chinese edition notebooks/zh/: each English notebook with its markdown's twins (i18n/zh/), executed
	$(PY) scripts/languages.py build --lang zh $(notdir $(ZH_SELECTED:.ipynb=))
	@for nb in $(ZH_SELECTED); do echo "executing $$nb"; $(EXECUTE) $$nb || exit 1; done
	$(BIN)/jupytext --quiet --sync $(ZH_SELECTED)

bench: setup  ## time every method against torch's conv2d on the full grid; CSV/JSON in bench-results/
	$(PY) -m chanconv.perf.bench --grid full --out bench-results

bench-widgets: setup  ## the explorer in headless Chromium: slider moved → picture repainted (median, worst); payload
	$(PY) -m tools.explorer_bench --out artifacts

slides/node_modules/.installed: slides/package.json
	cd slides && npm install --no-audit --no-fund --no-package-lock --silent
	@touch $@

slides: setup slides/node_modules/.installed  ## a lecture deck per notebook in _build/slides/ (Chinese: _build/slides/zh/; opens offline) and its PDF in pdf/
	$(PY) scripts/build_slides.py _build/slides --pdf
	@echo "decks: open $(CURDIR)/_build/slides/01_multiple_input_channels.slides.html in a browser (no network needed);"
	@echo "       in Chinese: $(CURDIR)/_build/slides/zh/01_multiple_input_channels.slides.html"
	@echo "       s opens the speaker view (notes, next slide, timer). PDFs: $(CURDIR)/_build/slides/pdf/ and zh/pdf/"

site: setup slides/node_modules/.installed  ## the course as a static HTML site in _build/site/, in Chinese in _build/site/zh/ (from the stored outputs; opens offline)
	$(PY) scripts/build_site.py _build/site
	@echo "open _build/site/index.html (中文: _build/site/zh/index.html) in a browser (no network needed)"

exercises: setup  ## regenerate notebooks/07_exercises from its one source instructor/07_exercises.py, and execute it
	$(PY) scripts/editions.py generate
	$(PY) scripts/notebook_header.py notebooks/07_exercises.ipynb
	$(EXECUTE) notebooks/07_exercises.ipynb
	$(BIN)/jupytext --sync notebooks/07_exercises.py
	@$(MAKE) --no-print-directory zh NB=07_exercises

student: setup  ## the student edition in _build/student/ (and in Chinese in _build/student/zh/): blanks and checks, no solutions, executed
	$(PY) scripts/editions.py student _build/student --execute
	$(PY) scripts/editions.py student _build/student/zh --execute --lang zh

instructor: setup  ## the instructor edition in _build/instructor/ (and _build/instructor/zh/): model solutions and answers, executed
	$(PY) scripts/editions.py instructor _build/instructor --execute
	$(PY) scripts/editions.py instructor _build/instructor/zh --execute --lang zh

# make grade: SUBMISSIONS (a folder of notebooks), GRADES (the reports), ROSTER (CSV student_id,lms_id[,name]),
# JOBS (notebooks in parallel), CELL_TIMEOUT and NOTEBOOK_TIMEOUT (seconds), UNSAFE=1 (no sandbox here: grade anyway)
SUBMISSIONS      ?=
GRADES           ?= _build/grades
ROSTER           ?=
JOBS             ?= 1
CELL_TIMEOUT     ?= 60
NOTEBOOK_TIMEOUT ?= 600
UNSAFE           ?=
grade: setup  ## grade a class, contained: make grade SUBMISSIONS=dir [ROSTER=csv JOBS=2 ...] -> _build/grades/
	@test -n "$(SUBMISSIONS)" || { echo "usage: make grade SUBMISSIONS=folder-of-notebooks [GRADES=$(GRADES)] [ROSTER=roster.csv] [JOBS=$(JOBS)] [CELL_TIMEOUT=$(CELL_TIMEOUT)] [NOTEBOOK_TIMEOUT=$(NOTEBOOK_TIMEOUT)] [UNSAFE=1]"; exit 2; }
	$(PY) scripts/grade.py "$(SUBMISSIONS)" --out "$(GRADES)" -j $(JOBS) --cell-timeout $(CELL_TIMEOUT) \
	  --notebook-timeout $(NOTEBOOK_TIMEOUT) $(if $(ROSTER),--roster "$(ROSTER)") $(if $(UNSAFE),--unsafe)

assets: setup  ## regenerate the pictures in assets/ from the tensors (scripts/make_assets.py)
	$(PY) scripts/make_assets.py

# The catalogs of what a student reads from the code (chanconv.core.i18n): the messages marked with _(), N_() and
# ngettext() in chanconv/ and tr() in notebooks/*.py (the mapping is pyproject.toml's [tool.babel]) -> chanconv/locale/chanconv.pot ->
# each language's chanconv/locale/<lang>/LC_MESSAGES/chanconv.po (new messages empty or fuzzy: translate them,
# then run it again) -> chanconv.mo, which the wheel ships. tests/test_i18n.py reads I18N_KEYWORDS from here.
LOCALES       := zh
I18N_KEYWORDS := -k _ -k N_ -k ngettext:1,2 -k tr
I18N_DIR      := chanconv/locale
i18n: setup  ## the catalogs: extract the marked messages to chanconv.pot, update each language's .po, compile the .mo
	$(BIN)/pybabel extract -F pyproject.toml --no-default-keywords $(I18N_KEYWORDS) --add-location=file --sort-output \
	  --project=chanconv --version=$$($(PY) -c "import chanconv; print(chanconv.__version__)") \
	  --copyright-holder="The chanconv authors" -o $(I18N_DIR)/chanconv.pot chanconv notebooks
	for lang in $(LOCALES); do \
	  $(BIN)/pybabel update -i $(I18N_DIR)/chanconv.pot -d $(I18N_DIR) -D chanconv -l $$lang --init-missing \
	    --ignore-obsolete --ignore-pot-creation-date || exit 1; \
	done
	$(BIN)/pybabel compile -d $(I18N_DIR) -D chanconv --statistics

clean:  ## remove caches and generated files (keeps .venv)
	rm -rf .pytest_cache .ruff_cache .hypothesis artifacts bench-results _build
	find . -name __pycache__ -not -path './$(VENV)/*' -prune -exec rm -rf {} +
