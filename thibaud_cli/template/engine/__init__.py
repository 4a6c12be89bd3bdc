"""The copier engine: the only modules that import copier (rendering, its Worker, its
``copier.yml`` loader and task runner, and what adjusts a copier render)."""
