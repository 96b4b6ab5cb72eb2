"""The `shixun` command line: one module per command group, each with `register(subparsers)`.

`main.py` discovers every module in this package that defines `register`, so a new command
group is added by adding a module, without touching the others.
"""
