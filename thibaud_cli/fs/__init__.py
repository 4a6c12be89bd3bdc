"""File-system writes that a crash or an error cannot leave half done.

``atomic`` writes one file; ``transaction`` (with ``journal`` and ``lock``) changes a
project all or nothing; ``walk`` is the one directory walker; ``scratch`` makes the
temporary directories of the system's temp dir. Standard library only.
"""
