"""File-system writes that a crash or an error cannot leave half done.

Standard library only.
"""
