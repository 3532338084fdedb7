"""A kernel that dies while autograding costs only the cell it died in.

nbgrader 0.9.6's ``Execute`` lets ``DeadKernelError`` out of the notebook (``os._exit``, a crash in
a C extension, the sandbox's memory limit killing the kernel), so nbgrader scores the whole
submission 0. :class:`RevivingExecute` instead marks that cell with a ``DeadKernelError`` output,
starts a fresh kernel, re-runs the cells above it (their outputs are not kept again) and goes on,
so each later cell is graded on the state it would have had. A cell that kills every kernel it
meets is re-run by nobody; after ``max_revivals`` deaths the rest of the notebook is marked unrun.

nbgrader_config.py puts it in place of ``Execute`` among ``Autograde.autograde_preprocessors``; it
reads the same ``c.Execute`` settings (a subclass reads its parents' config sections).
"""

from __future__ import annotations

import copy

from nbclient.exceptions import DeadKernelError
from nbformat.v4 import new_output
from nbgrader.preprocessors import Execute
from traitlets import Integer

__all__ = ["RevivingExecute"]


class RevivingExecute(Execute):
    """nbgrader's ``Execute``, with a fresh kernel after each death (at most ``max_revivals``)."""

    max_revivals = Integer(3, help="Fresh kernels a notebook may need before its remaining cells are left unrun.",
                           ).tag(config=True)

    def preprocess(self, nb, resources=None, km=None):
        self._deaths: list[int] = []
        return super().preprocess(nb, resources, km)

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type == "code" and len(self._deaths) > self.max_revivals:
            cell.outputs = [_died(f"not run: the kernel died {len(self._deaths)} times (cells {self._deaths})")]
            return cell, self.resources
        try:
            return super().preprocess_cell(cell, resources, index)
        except DeadKernelError:
            self._deaths.append(index)
            self.log.warning("the kernel died in cell %d; a fresh one re-runs the cells above it", index)
            cell.outputs.append(_died("the kernel died while this cell ran (it exited, crashed or was killed)"))
            if len(self._deaths) <= self.max_revivals:
                self._revive(index)
            return cell, self.resources

    def _revive(self, index: int) -> None:
        """A fresh kernel (and client) that has run every code cell above ``index`` but the ones that killed one."""
        self._cleanup_kernel()  # the dead kernel's resources and the client's channels
        self.km = self.create_kernel_manager()
        self.start_new_kernel()
        self.start_new_kernel_client()
        for number, earlier in enumerate(self.nb.cells[:index]):
            if earlier.cell_type == "code" and number not in self._deaths:
                try:
                    self.execute_cell(copy.deepcopy(earlier), number, store_history=False)
                except DeadKernelError:  # an earlier cell kills kernels only sometimes: not this cell's cost either
                    self._deaths.append(number)
                    return self._revive(index) if len(self._deaths) <= self.max_revivals else None
        return None


def _died(why: str):
    return new_output("error", ename="DeadKernelError", evalue=why, traceback=[f"DeadKernelError: {why}"])
