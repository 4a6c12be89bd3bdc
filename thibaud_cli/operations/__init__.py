"""The operations: one keyword-only function per command, over the engine packages.

Operations never import each other; what two of them share lives in the engine.
"""
