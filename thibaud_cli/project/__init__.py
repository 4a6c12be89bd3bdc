"""A generated project: its answers file, its name, its git working tree, and the
versions of the tools it was made with."""
