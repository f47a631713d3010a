"""`parse` on a Dask cluster: many files (local or remote, plain or compressed) read by
the workers of a scheduler, with the output of one run.

Each file is one task, or, when it is a big plain log that looks line-local, one task
per block (BLOCK bytes, cut at line ends, each task finding its own cut). A task runs
the pipeline's own per-input work (smtpcode.pipeline) and hands back its part of the
run: a RunReport, merged here with RunReport.merge as a single-process run merges its
inputs, and rows (JSON Lines or tab-separated), written here in input order. With an
output directory each task writes its rows there itself and only the counts come back.

A block is read as smtpcode.parallel reads a chunk, and checked the same way: the first
block must leave the reading resumable, every later one must consist of lines the
line-local family takes. At the first block of a file that is not so, the blocks after
it are thrown away and one task reads the rest of the file from the state sequential
reading has there (parallel._sequential), so the output is what one process gives.

Dask re-runs the task of a worker that died; a task's part only counts once it is
handed back, so nothing is counted twice.

    sources  the files of the inputs, and the tasks they make
    tasks    what a worker runs for a task
    client   the cluster, the run, the merge in input order, the progress bar
    frames   findings as a Dask bag or dataframe (the library's API)

Dask is imported inside the functions that use it, and this package only when a run
asks for a scheduler (or a program for a bag): `smtpcode` starts as fast without it.
"""

from smtpcode.distributed.client import (
    CONNECT_TIMEOUT,
    Cluster,
    DistributedError,
    Progress,
    TerminalProgress,
    local_workers,
    require_dask,
    run,
)
from smtpcode.distributed.frames import (
    FRAME_COLUMNS,
    file_findings,
    findings_bag,
    findings_frame,
    flat,
)
from smtpcode.distributed.sources import BLOCK, Source, Task, expand, parse_storage_options, plan
from smtpcode.distributed.tasks import Job, Outcome, count_lines, part_name, run_task

__all__ = [
    "BLOCK",
    "CONNECT_TIMEOUT",
    "FRAME_COLUMNS",
    "Cluster",
    "DistributedError",
    "Job",
    "Outcome",
    "Progress",
    "Source",
    "Task",
    "TerminalProgress",
    "count_lines",
    "expand",
    "file_findings",
    "findings_bag",
    "findings_frame",
    "flat",
    "local_workers",
    "parse_storage_options",
    "part_name",
    "plan",
    "require_dask",
    "run",
    "run_task",
]
