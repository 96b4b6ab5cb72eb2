"""The shared leaf: message envelope, codecs, sockets and bilingual text.

It imports nothing from the project, so every package may use it (see DESIGN.md).
"""
