"""Device health: online/degraded/offline from heartbeats, and alerts when a booked device is down.

`status` is pure (heartbeat body → assessment); `monitor` reads and writes the store.
"""
