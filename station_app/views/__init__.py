"""Widgets the Qt apps share (station, instructor, mentor): the 3D scene, the skeleton overlay, the
cue banner, the language switch. Each is fed plain data (snapshot dicts, PoseFrames, Text), never a
session, so any app can show live, recorded or replayed data with them."""
