"""Partial renders: one project file (the ASGI module) rendered from as little of its
template as gives the same bytes, and which template files could render to it."""
