# ML Check-up. Two commands matter: `make lab` (open the course) and `make test` (check the course;
# `make test-grading` checks the grading against wrong and hostile submissions).
# Every target builds the virtual environment from the committed lock first, if it is missing or stale.

# The first supported interpreter on PATH, unless PYTHON is given (make test PYTHON=python3.13 VENV=.venv-3.13).
SUPPORTED := 3.11, 3.12 or 3.13
ifeq ($(origin PYTHON),undefined)
PYTHON := $(shell for p in python3.11 python3.12 python3.13 python3; do \
	$$p -c 'import sys; sys.exit(not (3, 11) <= sys.version_info[:2] <= (3, 13))' >/dev/null 2>&1 && { echo $$p; break; }; \
	done)
endif
VENV      ?= .venv
BIN       := $(VENV)/bin
STAMP     := $(VENV)/.installed
LAB_PORT  ?= 8888
LAB_DIR   ?= notebooks
# Jupyter settings of the course (jupyter/): no news or update checks for anyone; students see no
# instructor panels (Create Assignment, Formgrader), which only `make lab-instructor` shows.
LAB_CONFIG ?= $(CURDIR)/jupyter/student:$(CURDIR)/jupyter/course
ASSIGNMENT ?= *
export PATH := $(CURDIR)/$(BIN):$(PATH)
export PYTHONWARNINGS := ignore:Object of type:Warning
export APPLICATIONINSIGHTS_STATSBEAT_DISABLED_ALL := true
ALLOW_ROOT := $(if $(filter 0,$(shell id -u)),--allow-root)

.PHONY: help venv lab lab-instructor test test-grading release collect grade grade-shards course bench lint lock student-bundle clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-15s %s\n", $$1, $$2}'

venv: $(STAMP)  ## create .venv from requirements.txt (the lock) and install mlcheckup

# A changed lock rebuilds the environment from scratch, so nothing stale survives.
# pip compiles bytecode while installing (keep it: kernels start 2-3x faster with it).
$(STAMP): requirements.txt
	$(if $(PYTHON),,$(error ML Check-up needs Python $(SUPPORTED) and found none on PATH; install one (e.g. 'uv python install 3.12', your OS's python3.12 package, or conda with environment.yml), then run make again))
	@echo "building $(VENV) with $(PYTHON) ($$($(PYTHON) --version 2>&1))"
	rm -rf $(VENV) && $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --requirement requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation --editable .
	$(BIN)/python -m pip check
	@# The course does not use nbgrader's exchange; its extensions only log errors.
	@$(BIN)/jupyter server extension disable --sys-prefix --log-level=ERROR \
		nbgrader.server_extensions.assignment_list nbgrader.server_extensions.course_list >/dev/null
	@$(BIN)/jupyter labextension disable --level=sys_prefix \
		@jupyter/nbgrader:assignment-list @jupyter/nbgrader:course-list >/dev/null 2>&1
	@touch $@

lab: $(STAMP)  ## open the course in JupyterLab (local mode), on 127.0.0.1 only
	@TOKEN=$$($(BIN)/python -c 'import secrets; print(secrets.token_hex(16))'); \
	echo "ML Check-up is starting; open http://127.0.0.1:$(LAB_PORT)/lab?token=$$TOKEN"; \
	JUPYTER_CONFIG_PATH=$(LAB_CONFIG) exec $(BIN)/jupyter lab --no-browser $(ALLOW_ROOT) --ip=127.0.0.1 --port=$(LAB_PORT) \
		--ServerApp.port_retries=0 --ServerApp.root_dir=$(LAB_DIR) --IdentityProvider.token=$$TOKEN

lab-instructor:  ## JupyterLab on the whole repository, with nbgrader's Create Assignment and Formgrader
	@$(MAKE) --no-print-directory lab LAB_DIR=. LAB_CONFIG=$(CURDIR)/jupyter/course

# The marker `grading` (wrong answers, hostile submissions, a whole class) is test-grading's half.
TEST_MARKS ?= not grading
test: $(STAMP)  ## check the course: package, every notebook, release sync, solution and blank autograded
	$(BIN)/python -m pytest $(if $(TEST_MARKS),-m "$(TEST_MARKS)") $(PYTEST_ARGS)

test-grading: $(STAMP)  ## check the grading: wrong answers lose exactly their points, hostile submissions, a class
	@$(MAKE) --no-print-directory test TEST_MARKS=grading

release: $(STAMP)  ## regenerate notebooks/ (the student release) from solutions/
	$(BIN)/python grading/authoring.py nav $(filter-out *,$(ASSIGNMENT))
	$(BIN)/nbgrader generate_assignment "$(ASSIGNMENT)" --force --log-level=WARN

grade: $(STAMP)  ## autograde grading/submitted/*/<lesson>/ in WORKERS processes (default: cores), then grades.csv and feedback
	@mkdir -p grading/submitted
	$(BIN)/nbgrader generate_assignment "$(ASSIGNMENT)" --force --log-level=WARN \
		--CourseDirectory.release_directory=build/release-check
	$(BIN)/python grading/penalties.py due  # due dates of grading/schedule.toml into the gradebook
	@$(BIN)/python grading/sandbox.py check  # SANDBOX=refuse (default) | degrade | off
	$(BIN)/python grading/batch.py $(if $(WORKERS),--workers $(WORKERS)) \
		$(if $(filter-out *,$(ASSIGNMENT)),--lesson $(ASSIGNMENT)) --report grading/batch-report.tsv
	$(BIN)/nbgrader generate_feedback "$(ASSIGNMENT)" --force --log-level=WARN  # hidden tests left out unless HIDDEN_TESTS=show
	$(BIN)/nbgrader export --to grading/grades.csv --log-level=WARN
	@echo "grades: grading/grades.csv   feedback: grading/feedback/<student>/<lesson>/   report: grading/batch-report.tsv"

collect: $(STAMP)  ## import an LMS download: make collect ZIP=<file.zip> LESSON=<id> ROSTER=<roster.csv> [LMS_TZ=Europe/Paris]
	$(BIN)/python grading/collect.py "$(ZIP)" --lesson "$(LESSON)" --roster "$(ROSTER)" --tz "$(or $(LMS_TZ),UTC)"

grade-shards: $(STAMP)  ## split the submissions into SHARDS Azure ML command jobs (build/shards/shard-<i>.yml), offline
	$(BIN)/nbgrader generate_assignment "$(ASSIGNMENT)" --force --log-level=WARN \
		--CourseDirectory.release_directory=build/release-check
	$(BIN)/python grading/shards.py pack --shards $(or $(SHARDS),4) --out build/shards

course: $(STAMP)  ## execute every solution notebook headless into build/course/
	@for nb in solutions/*/*.ipynb; do \
		lesson=$$(basename $$(dirname $$nb)); \
		$(BIN)/jupyter nbconvert --to notebook --execute --log-level=WARN $$nb \
			--output-dir build/course/$$lesson || exit 1; \
	done; echo "executed notebooks in build/course/"

bench: $(STAMP)  ## run the speed benchmarks and write their reports (benchmarks/README.md)
	$(MAKE) -C benchmarks all

lint: $(STAMP)  ## ruff on the package, tests and notebooks
	$(BIN)/ruff check .

lock:  ## re-compile requirements.txt from requirements.in (needs uv: pip install uv)
	uv pip compile requirements.in --output-file requirements.txt --python-version 3.11 --quiet

student-bundle: $(STAMP)  ## export what students get (no solutions, no hidden tests) to grading/student-bundle/
	$(BIN)/python grading/bundle.py grading/student-bundle

clean:  ## remove run files and build output (keeps .venv)
	rm -rf build .mlcheckup grading/ci-* grading/student-bundle
