"""A user's own measured data as an optimization problem: reading, checking, encoding, writing.

``table`` reads CSV/Parquet (or wraps a DataFrame) with row names for messages; ``spec`` parses
objectives, inputs, kinds and bounds; ``prepare`` checks and types everything once and minimizes
the objectives; ``space`` encodes mixed float/integer/categorical designs as a unit box and snaps
points back to valid designs; ``output`` writes all result files or none. The workflow itself is
``dist_ombo.propose``.
"""

from dist_ombo.userdata.prepare import MIN_ROWS, UserData, prepare
from dist_ombo.userdata.space import UserDesignSpace, InputColumn
from dist_ombo.userdata.table import Table, read_table, table_from_frame

__all__ = ["MIN_ROWS", "UserDesignSpace", "InputColumn", "Table", "UserData", "prepare", "read_table",
           "table_from_frame"]
