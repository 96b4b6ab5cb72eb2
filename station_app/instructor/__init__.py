"""The instructor console (`shixun instructor`): roster, skill estimates and progress, difficulty
overrides with the generator's explanation, scenario assignments, the live grid of the lab."""
