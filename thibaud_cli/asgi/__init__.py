"""The ASGI middleware chain: specs and options, the code that wraps ``application``,
and the checks that a middleware exists in the project's interpreter."""
