"""Template validation's checks: result types, static checks, booting a rendered
project, serving it, and the reports."""
