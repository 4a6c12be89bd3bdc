"""Django-style templates (no ``copier.yml``), rendered as Thibaud's ``startproject`` renders
them: from a directory, an archive, a download or a git repository."""
