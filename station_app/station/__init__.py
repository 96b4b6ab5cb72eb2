"""The student's station app (`shixun station`): a PyQt6 view over the station runtime."""
