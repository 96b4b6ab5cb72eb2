"""Station runtime, the Qt apps and the `shixun` command line."""
