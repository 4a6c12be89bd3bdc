"""A template's questions as validate-template varies them: their values, and whether
copier asks them given the other answers."""
