"""nbgrader settings for ML Check-up. nbgrader reads this file from the working directory,
so run nbgrader (or `make release` / `make grade`) from the repository root.

An exception in this file is only logged by nbgrader, which then silently falls back to its
defaults; tests/test_config.py loads it and checks the values below.
"""

import os

from nbconvert.preprocessors import ClearMetadataPreprocessor
from nbgrader.converters import GenerateAssignment

c = get_config()

ROOT = os.path.dirname(os.path.abspath(__file__))

c.CourseDirectory.root = ROOT
c.CourseDirectory.course_id = "ml-checkup"
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "notebooks"
c.CourseDirectory.submitted_directory = "grading/submitted"
c.CourseDirectory.autograded_directory = "grading/autograded"
c.CourseDirectory.feedback_directory = "grading/feedback"
c.CourseDirectory.db_url = os.environ.get(
    "NBGRADER_DB_URL", "sqlite:///" + os.path.join(ROOT, "grading", "gradebook.db")
)

# The course does not use nbgrader's exchange, but the formgrader checks that its folder exists
# and logs a critical error if not; keep it inside the (ignored) grading folder.
c.Exchange.root = os.path.join(ROOT, "grading", "exchange")
os.makedirs(c.Exchange.root, exist_ok=True)

# Per-cell limit while autograding. `ExecutePreprocessor.timeout` is ignored by autograde.
c.Execute.timeout = 120
c.Execute.interrupt_on_timeout = True
# A submission that floods its output must not blow up the gradebook or the feedback.
c.Execute.iopub_timeout = 30

# A student who deletes a test cell is graded by the instructor's copy of it, not skipped.
c.OverwriteCells.add_missing_cells = True

c.ClearSolutions.code_stub = {
    "python": "# YOUR CODE HERE\nraise NotImplementedError(\"Replace this line with your answer.\")"
}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"


class StripVolatileMetadata(ClearMetadataPreprocessor):
    """Keep the release byte-stable: drop execution timings and interpreter details that
    re-running a solution notebook would otherwise copy into notebooks/."""

    def __init__(self, **kw):
        super().__init__(**kw)
        self.enabled = True
        self.preserve_cell_metadata_mask = {"nbgrader", "deletable", "editable", "tags"}
        self.preserve_nb_metadata_mask = {"kernelspec", ("language_info", "name")}


c.GenerateAssignment.preprocessors = [
    *GenerateAssignment.class_traits()["preprocessors"].default(),
    StripVolatileMetadata,
]

# Plugins of grading/ (penalties.py: late policy from grading/schedule.toml; feedback.py: hidden
# tests left out of the feedback unless HIDDEN_TESTS=show). nbgrader imports them by name.
import sys  # noqa: E402

sys.path.insert(0, os.path.join(ROOT, "grading"))
from feedback import feedback_preprocessors  # noqa: E402

c.AssignLatePenalties.plugin_class = "penalties.CoursePenalty"

# A kernel that dies (os._exit, a crash, the sandbox's memory limit) costs only the cell it died in:
# grading/execute.py starts a fresh kernel, re-runs the cells above and goes on. nbgrader's own
# Execute would score the whole submission 0.
from execute import RevivingExecute  # noqa: E402
from nbgrader.converters import Autograde  # noqa: E402
from nbgrader.preprocessors import Execute  # noqa: E402

c.Autograde.autograde_preprocessors = [
    RevivingExecute if step is Execute else step
    for step in Autograde.class_traits()["autograde_preprocessors"].default()
]
c.GenerateFeedback.preprocessors = feedback_preprocessors()
