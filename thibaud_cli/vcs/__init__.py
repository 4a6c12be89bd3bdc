"""Version control, handled with suspicion: version-control metadata a template must
never write (``metadata``), and the git processes run on templates and projects,
configured so that no repository can make them run a program (``git``)."""
