"""Retention periods per kind of data, and the refusal of settings that make no sense (pure).

Kinds follow the data tiers of shared/reference/bus_booking_privacy.md §3.3: raw clips (T1),
keypoints and recordings (T2), learner records (T3), the audit log (T4, at least six months:
Cybersecurity Law Art. 21). As in LibreBooking's `deleteolddata` guard (§2.1, §3.4 item 4), a
purge refuses obviously wrong settings instead of deleting by them.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta

from lab.bus.text import UserError

AUDIT_FLOOR_DAYS = 184  # six months, counted as the longest six-month span (Jul–Dec)
MAX_DAYS = 36_500
MAX_CLIP_DAYS = 365  # raw video is kept "short" (EDPB Guidelines 3/2019; §3.3 T1: 7–30 days)


class DataKind(enum.StrEnum):
    CLIPS = "clips"
    KEYPOINTS = "keypoints"
    LEARNER_RECORDS = "learner_records"
    AUDIT_LOG = "audit_log"


class BadRetention(UserError):
    """A retention setting a purge refuses to act on."""


@dataclass(frozen=True)
class RetentionPolicy:
    """Days each kind of data is kept after its last use."""

    clips_days: int
    keypoints_days: int
    learner_records_days: int
    audit_days: int

    def validate(self) -> RetentionPolicy:
        """Return self, or raise BadRetention naming the first nonsensical setting."""
        for kind, days in self.days().items():
            if not isinstance(days, int) or isinstance(days, bool) or not 0 <= days <= MAX_DAYS:
                raise BadRetention(
                    f"{kind.value} 的保留天数应为 0 到 {MAX_DAYS} 之间的整数（当前 {days!r}）",
                    f"retention for {kind.value} must be a whole number of days from 0 to {MAX_DAYS} (got {days!r})",
                )
        if self.audit_days < AUDIT_FLOOR_DAYS:
            raise BadRetention(
                f"审计日志至少保留 {AUDIT_FLOOR_DAYS} 天（六个月，网络安全法第 21 条），当前 {self.audit_days}",
                f"the audit log must be kept at least {AUDIT_FLOOR_DAYS} days (six months, Cybersecurity Law Art. 21); got {self.audit_days}",
            )
        if self.learner_records_days < 1:
            raise BadRetention(
                "学员档案保留 0 天会在每次清理时删除全部学员",
                "keeping learner records 0 days would delete every learner on each purge",
            )
        if self.clips_days > MAX_CLIP_DAYS:
            raise BadRetention(
                f"原始视频片段最多保留 {MAX_CLIP_DAYS} 天，当前 {self.clips_days}",
                f"raw clips may be kept at most {MAX_CLIP_DAYS} days; got {self.clips_days}",
            )
        if self.clips_days > self.keypoints_days:
            raise BadRetention(
                "原始视频片段的保留期不应长于由其得到的关键点数据",
                "raw clips may not be kept longer than the keypoints derived from them",
            )
        if self.keypoints_days > self.learner_records_days:
            raise BadRetention(
                "关键点与录制的保留期不应长于学员档案（删除学员会一并删除它们）",
                "keypoints and recordings may not outlive the learner records (deleting a learner deletes them)",
            )
        return self

    def days(self) -> dict[DataKind, int]:
        return {
            DataKind.CLIPS: self.clips_days,
            DataKind.KEYPOINTS: self.keypoints_days,
            DataKind.LEARNER_RECORDS: self.learner_records_days,
            DataKind.AUDIT_LOG: self.audit_days,
        }

    def cutoffs(self, now: datetime) -> dict[DataKind, datetime]:
        """Data of each kind last used before its cutoff is due for deletion."""
        return {kind: now - timedelta(days=days) for kind, days in self.days().items()}
