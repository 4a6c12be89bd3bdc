"""``python -m bench``: run every benchmark and write bench/RESULTS.md."""

from .run import main

main()
