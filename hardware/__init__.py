"""Cameras and input devices on a station or edge box, and their health reports."""
