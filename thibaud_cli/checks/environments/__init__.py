"""validate-template --install: each variant's declared dependencies in an environment of
its own, made with uv and shared by the variants that declare the same set."""
