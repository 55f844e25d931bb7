# The two commands of the README: `make demo` and `make test`. Both set up what is missing first.
.PHONY: setup demo test pytest filecheck lint format typecheck deepsparse

VENV := .venv/bin
JOBS ?= $(shell nproc)

setup:
	@bash scripts/setup.sh

demo: setup
	$(VENV)/patcc demo

# DeepSparse, a peer of `patcc bench`, in .venv-deepsparse (its numpy/onnx pins clash with ours)
deepsparse:
	@bash scripts/setup_deepsparse.sh

test: setup lint typecheck pytest filecheck

pytest:
	$(VENV)/python -m pytest -n $(JOBS) tests

filecheck:
	PATH="$(CURDIR)/.venv/bin:$$PATH" $(VENV)/lit -sv filecheck

lint:
	$(VENV)/ruff check .
	$(VENV)/ruff format --check .

format:
	$(VENV)/ruff format .
	$(VENV)/ruff check --fix .

# pyright cannot follow setuptools' editable package-dir mapping (patcc.dialects -> dialects/);
# links under typings/ (its stub path, searched first) show it the same mapping.
typecheck:
	@mkdir -p typings/patcc
	@ln -sfn ../../dialects typings/patcc/dialects
	@ln -sfn ../../passes typings/patcc/passes
	$(VENV)/pyright
