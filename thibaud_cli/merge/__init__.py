"""Three-way merges: of one text file, and of a whole project tree."""
