"""The template engines: what turns a project template into files."""
