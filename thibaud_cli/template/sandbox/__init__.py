"""The sandbox a template from a stranger renders in: bounds on what it renders, the
memory ceiling, and the Jinja filters it gets."""
