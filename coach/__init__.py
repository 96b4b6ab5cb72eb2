"""Pure rules over pose streams: ergonomics, danger zones, hand signals, step order, demos."""
