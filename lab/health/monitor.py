"""Device health over the store: record heartbeats, report each device's state, alert on booked
devices that are down, and prune old heartbeats (one row per heartbeat grows fast).

Devices are found by equipment name, or by the id they use on the bus
(`Equipment.capabilities["bus_id"]`, e.g. "st03"), since bus ids may not contain spaces.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from lab.bus.topics import check_id
from lab.health.status import (
    Alert,
    BookedSlot,
    DeviceHealth,
    Thresholds,
    assess,
    booked_down_alerts,
    parse_heartbeat,
    problems_of,
)
from lab.scheduling.bookings import list_bookings
from lab.scheduling.registry import UnknownEquipment
from lab.scheduling.rules import local_span
from lab.store.models import DeviceHeartbeat, Equipment, HeartbeatStatus


def find_device(session: Session, name_or_bus_id: str) -> Equipment:
    found = session.scalar(select(Equipment).where(Equipment.name == name_or_bus_id))
    if found is None:
        found = next(
            (
                e
                for e in session.scalars(select(Equipment))
                if (e.capabilities or {}).get("bus_id") == name_or_bus_id
            ),
            None,
        )
    if found is None:
        raise UnknownEquipment(f"没有名为 {name_or_bus_id} 的设备", f"no equipment named {name_or_bus_id}")
    return found


def record_heartbeat(
    session: Session, device: str, body: Any, received_at: datetime, limits: Thresholds
) -> DeviceHeartbeat:
    """Store one heartbeat (validated; BadHeartbeat for a garbled body) with its judged status."""
    metrics = parse_heartbeat(body)
    equipment = find_device(session, device)
    status = HeartbeatStatus.DEGRADED if problems_of(metrics, limits) else HeartbeatStatus.OK
    row = DeviceHeartbeat(equipment_id=equipment.id, received_at=received_at, status=status, metrics=metrics)
    session.add(row)
    session.flush()
    return row


def health_report(session: Session, now: datetime, limits: Thresholds) -> list[DeviceHealth]:
    """Every device's state from its latest heartbeat, by name."""
    latest = (
        select(DeviceHeartbeat.equipment_id, func.max(DeviceHeartbeat.received_at).label("last"))
        .group_by(DeviceHeartbeat.equipment_id)
        .subquery()
    )
    rows = session.execute(
        select(Equipment.name, DeviceHeartbeat.received_at, DeviceHeartbeat.metrics)
        .select_from(Equipment)
        .outerjoin(latest, latest.c.equipment_id == Equipment.id)
        .outerjoin(
            DeviceHeartbeat,
            (DeviceHeartbeat.equipment_id == Equipment.id) & (DeviceHeartbeat.received_at == latest.c.last),
        )
        .order_by(Equipment.name)
    )
    report: dict[str, DeviceHealth] = {}
    for name, last_seen, metrics in rows:
        report[name] = assess(name, last_seen, metrics or {}, now, limits)  # ties on received_at: any one
    return list(report.values())


def booked_down(
    session: Session,
    now: datetime,
    limits: Thresholds,
    tz: ZoneInfo,
    lookahead: timedelta = timedelta(minutes=30),
) -> list[Alert]:
    """Alerts for bookings running now or starting within `lookahead` on an offline device."""
    health = {h.equipment: h for h in health_report(session, now, limits)}
    slots = [
        BookedSlot(
            v.id, v.equipment, v.starts_at, v.ends_at, v.holder, local_span(v.starts_at, v.ends_at, tz)
        )
        for v in list_bookings(session, now, now + lookahead)
    ]
    return booked_down_alerts(health, slots)


def prune_heartbeats(session: Session, older_than: datetime) -> int:
    """Delete heartbeats received before `older_than`, keeping each device's latest one."""
    latest = select(func.max(DeviceHeartbeat.id)).group_by(DeviceHeartbeat.equipment_id).scalar_subquery()
    result = session.execute(
        delete(DeviceHeartbeat).where(
            DeviceHeartbeat.received_at < older_than, DeviceHeartbeat.id.not_in(latest)
        )
    )
    return result.rowcount or 0


def set_bus_id(equipment: Equipment, bus_id: str) -> None:
    """The id the device uses on the bus (validated like every topic id)."""
    equipment.capabilities = {**(equipment.capabilities or {}), "bus_id": check_id(bus_id, "bus id")}
