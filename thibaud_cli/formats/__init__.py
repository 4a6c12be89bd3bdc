"""The file formats we read from users and templates, each read in one place."""
