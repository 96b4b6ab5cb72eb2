"""Equipment registry: stations, cameras, edge boxes and rigs with location, status, capabilities,
booking rules, trained users and maintenance blackouts.

What a resource can do and what it allows live in `Equipment.capabilities`:
`{"scenarios": [scenario ids it can run], "rules": {ResourceRules}, "trained": [learner codes / logins]}`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from lab.bus.text import UserError
from lab.scheduling.rules import ResourceRules
from lab.store.models import (
    BLOCKING_BOOKING_STATUSES,
    Blackout,
    Booking,
    BookingStatus,
    Equipment,
    EquipmentKind,
    EquipmentStatus,
)


class UnknownEquipment(UserError):
    """No equipment has that name or id."""


def _choice(enum_type: type[EquipmentKind] | type[EquipmentStatus], value: str, what: tuple[str, str]):
    try:
        return enum_type(value)
    except ValueError:
        allowed = ", ".join(m.value for m in enum_type)
        raise UserError(
            f"未知的{what[0]} {value}（可用：{allowed}）", f"unknown {what[1]} {value} (use {allowed})"
        ) from None


def parse_kind(value: str) -> EquipmentKind:
    return _choice(EquipmentKind, value, ("设备类型", "equipment kind"))


def parse_status(value: str) -> EquipmentStatus:
    return _choice(EquipmentStatus, value, ("设备状态", "equipment status"))


def add_equipment(
    session: Session,
    kind: EquipmentKind,
    name: str,
    location: str = "",
    scenarios: Sequence[str] = (),
    rules: Mapping[str, Any] | None = None,
) -> Equipment:
    name = name.strip()
    if not name:
        raise UserError("设备名称不能为空", "the equipment name must not be empty")
    if session.scalar(select(Equipment.id).where(Equipment.name == name)) is not None:
        raise UserError(f"已有名为 {name} 的设备", f"there is already equipment named {name}")
    capabilities = {
        "scenarios": sorted(set(scenarios)),
        "rules": ResourceRules.from_dict(rules).to_dict(),
        "trained": [],
    }
    equipment = Equipment(kind=kind, name=name, location=location, capabilities=capabilities)
    session.add(equipment)
    session.flush()
    return equipment


def get_equipment(session: Session, name_or_id: str | int) -> Equipment:
    """By exact name, or by numeric id."""
    found = session.scalar(select(Equipment).where(Equipment.name == str(name_or_id)))
    if found is None and str(name_or_id).isdigit():
        found = session.get(Equipment, int(name_or_id))
    if found is None:
        raise UnknownEquipment(f"没有名为 {name_or_id} 的设备", f"no equipment named {name_or_id}")
    return found


def list_equipment(session: Session, kind: EquipmentKind | None = None) -> list[Equipment]:
    query = select(Equipment).order_by(Equipment.kind, Equipment.name)
    if kind is not None:
        query = query.where(Equipment.kind == kind)
    return list(session.scalars(query))


def scenarios_of(equipment: Equipment) -> list[str]:
    return list((equipment.capabilities or {}).get("scenarios", []))


def rules_of(equipment: Equipment) -> ResourceRules:
    return ResourceRules.from_dict((equipment.capabilities or {}).get("rules"))


def trained_of(equipment: Equipment) -> set[str]:
    return set((equipment.capabilities or {}).get("trained", []))


def _update_capabilities(equipment: Equipment, **changes: Any) -> None:
    # A new dict, so SQLAlchemy sees the JSON column change.
    equipment.capabilities = {**(equipment.capabilities or {}), **changes}


def set_scenarios(equipment: Equipment, scenarios: Iterable[str]) -> None:
    _update_capabilities(equipment, scenarios=sorted(set(scenarios)))


def set_rules(equipment: Equipment, changes: Mapping[str, Any]) -> ResourceRules:
    """Merge `changes` into the equipment's rules; BadRules if the result is invalid."""
    rules = ResourceRules.from_dict({**rules_of(equipment).to_dict(), **changes})
    _update_capabilities(equipment, rules=rules.to_dict())
    return rules


def set_trained(equipment: Equipment, who: Iterable[str], trained: bool = True) -> set[str]:
    """Add (or remove) learner codes / user logins from the resource's trained list."""
    people = trained_of(equipment)
    people = people | set(who) if trained else people - set(who)
    _update_capabilities(equipment, trained=sorted(people))
    return people


def set_status(equipment: Equipment, status: EquipmentStatus, reason: str | None = None) -> None:
    equipment.status = status
    equipment.status_reason = reason or None


def add_blackout(
    session: Session,
    equipment: Equipment,
    starts_at: datetime,
    ends_at: datetime,
    reason: str = "",
    cancel_conflicting: bool = False,
) -> tuple[Blackout, list[Booking]]:
    """A maintenance window, and the bookings it hits (cancelled when asked: LibreBooking's
    blackout conflict resolution `delete`; otherwise `notify`, §2.1)."""
    if ends_at <= starts_at:
        raise UserError("维护结束时间必须晚于开始时间", "the maintenance window must end after it starts")
    blackout = Blackout(equipment_id=equipment.id, starts_at=starts_at, ends_at=ends_at, reason=reason)
    session.add(blackout)
    hit = list(
        session.scalars(
            select(Booking)
            .where(
                Booking.equipment_id == equipment.id,
                Booking.status.in_(BLOCKING_BOOKING_STATUSES),
                Booking.starts_at < ends_at,
                Booking.ends_at > starts_at,
            )
            .order_by(Booking.starts_at)
        )
    )
    if cancel_conflicting:
        for booking in hit:
            booking.status = BookingStatus.CANCELLED
    session.flush()
    return blackout, hit


def blackouts_between(
    session: Session, equipment_ids: Iterable[int], start: datetime, end: datetime
) -> list[Blackout]:
    return list(
        session.scalars(
            select(Blackout)
            .where(
                Blackout.equipment_id.in_(list(equipment_ids)),
                Blackout.starts_at < end,
                Blackout.ends_at > start,
            )
            .order_by(Blackout.starts_at)
        )
    )


def equipment_dict(equipment: Equipment) -> dict[str, Any]:
    return {
        "id": equipment.id,
        "name": equipment.name,
        "kind": equipment.kind.value,
        "location": equipment.location,
        "status": equipment.status.value,
        "status_reason": equipment.status_reason,
        "scenarios": scenarios_of(equipment),
        "rules": rules_of(equipment).to_dict(),
        "trained": sorted(trained_of(equipment)),
    }
