"""Difficulty for a class or a learner: bounds and pinned values per parameter and the target success
band (scenarios.overrides), the scenario to train, and next to it the generator's plan for a learner's
next attempt — each value it chose with the reason it gives (scenarios.explain)."""

from __future__ import annotations

from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from lab.bus.text import UserError
from scenarios.explain import headline
from scenarios.overrides import DEFAULT_BAND, Overrides
from scenarios.profiles import PROFILES
from scenarios.spec import catalog
from station_app.admin.common import fill_table
from station_app.instructor.assignments import assign
from station_app.instructor.common import ConsoleContext
from station_app.instructor.data import current_overrides, my_classes, next_plan, save_overrides

LOW, HIGH, PIN = 2, 3, 4  # editable columns of the parameter table


class DifficultyTab(QWidget):
    def __init__(self, ctx: ConsoleContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.scopes: list[tuple[str | None, str | None]] = []  # (learner code, class code)
        self.scope = QComboBox()
        self.scope.currentIndexChanged.connect(ctx.guarded(self.load_scope))
        self.params = QTableWidget()
        self.band_on = QCheckBox()
        self.band_low, self.band_high = QDoubleSpinBox(), QDoubleSpinBox()
        for box, value in ((self.band_low, DEFAULT_BAND[0]), (self.band_high, DEFAULT_BAND[1])):
            box.setRange(0.01, 0.99)
            box.setSingleStep(0.05)
            box.setValue(value)
        self.profile = QComboBox()  # practice profile: automatic (from pooled evidence) or pinned
        self.loaded = Overrides()  # what the scope had: fields this tab does not show are kept on save
        self.save_button = QPushButton()
        self.save_button.clicked.connect(ctx.guarded(self.save))
        self.scenario = QComboBox()
        for spec in catalog().values():
            self.scenario.addItem(spec.id, spec.id)
        self.assign_button = QPushButton()
        self.assign_button.clicked.connect(ctx.guarded(self.assign))
        self.preview_learner = QComboBox()
        self.preview_button = QPushButton()
        self.preview_button.clicked.connect(ctx.guarded(self.preview))
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.summary.setMinimumHeight(96)
        self.summary.setAlignment(Qt.AlignmentFlag.AlignTop)
        self.plan = QTableWidget()
        self.plan.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.plan.setWordWrap(True)
        self.explanation: dict | None = None
        self.labels = {k: QLabel() for k in ("scope", "band", "profile", "scenario", "plan")}

        band = QHBoxLayout()
        for w in (self.band_on, self.band_low, self.band_high):
            band.addWidget(w)
        band.addStretch(1)
        form = QGridLayout()
        form.addWidget(self.labels["scope"], 0, 0)
        form.addWidget(self.scope, 0, 1)
        form.addWidget(self.labels["band"], 1, 0)
        form.addLayout(band, 1, 1)
        form.addWidget(self.labels["profile"], 2, 0)
        form.addWidget(self.profile, 2, 1)
        form.addWidget(self.labels["scenario"], 3, 0)
        assign_row = QHBoxLayout()
        assign_row.addWidget(self.scenario, 1)
        assign_row.addWidget(self.assign_button)
        form.addLayout(assign_row, 3, 1)
        left = QVBoxLayout()
        left.addLayout(form)
        left.addWidget(self.params, 1)
        left.addWidget(self.save_button)
        preview_row = QHBoxLayout()
        preview_row.addWidget(self.labels["plan"])
        preview_row.addWidget(self.preview_learner, 1)
        preview_row.addWidget(self.preview_button)
        right = QVBoxLayout()
        right.addLayout(preview_row)
        right.addWidget(self.summary)
        right.addWidget(self.plan, 1)
        layout = QHBoxLayout(self)
        layout.addLayout(left, 1)
        layout.addLayout(right, 1)

    # --- scopes ----------------------------------------------------------------------------------

    def refresh(self) -> None:
        """The instructor's classes and their learners, as override scopes and preview choices."""
        with self.ctx.sessions() as db:
            classes = my_classes(db, self.ctx.actor)
            self.scopes = [(None, c.code) for c in classes]
            learners = sorted(learner.code for c in classes for learner in c.learners)
        self.scopes += [(code, None) for code in learners]
        self.scope.blockSignals(True)
        self.scope.clear()
        self.scope.blockSignals(False)
        self.preview_learner.clear()
        self.preview_learner.addItems(learners)
        self.retranslate()
        self.load_scope()

    def current_scope(self) -> tuple[str | None, str | None]:
        index = self.scope.currentIndex()
        if not 0 <= index < len(self.scopes):
            raise UserError("没有可设置的班级或学员", "no class or learner to set")
        return self.scopes[index]

    def load_scope(self) -> None:
        """Show the overrides set for exactly the selected scope."""
        learner, school_class = self.current_scope()
        with self.ctx.sessions() as db:
            overrides = current_overrides(db, self.ctx.space, learner, school_class)
        self._show_overrides(overrides)

    def _show_overrides(self, overrides: Overrides) -> None:
        lang = self.ctx.language.lang
        spec = self.ctx.space.spec
        headers = [
            self.ctx.t("参数", "Parameter"),
            self.ctx.t("范围", "Range"),
            self.ctx.t("下限", "Low bound"),
            self.ctx.t("上限", "High bound"),
            self.ctx.t("固定值", "Pinned value"),
        ]
        rows = []
        for name, p in spec.parameters.items():
            low, high = overrides.bounds.get(name, (None, None))
            unit = f" {p.unit}" if p.unit else ""
            rows.append(
                [p.title.get(lang), f"{p.min:g}–{p.max:g}{unit}", low, high, overrides.pins.get(name)]
            )
        fill_table(self.params, headers, rows)
        for r, name in enumerate(spec.parameters):
            self.params.item(r, 0).setData(256, name)  # Qt.ItemDataRole.UserRole: the parameter's id
        self.band_on.setChecked(overrides.band is not None)
        if overrides.band is not None:
            self.band_low.setValue(overrides.band[0])
            self.band_high.setValue(overrides.band[1])
        self.profile.setCurrentIndex(max(0, self.profile.findData(overrides.profile)))
        self.loaded = overrides

    def overrides(self) -> Overrides:
        """The overrides as typed in the table (empty cells: not set); a bad number is a UserError."""
        bounds, pins = {}, {}
        for r in range(self.params.rowCount()):
            name = self.params.item(r, 0).data(256)
            low, high, pin = (_number(self.params.item(r, c), name) for c in (LOW, HIGH, PIN))
            if (low is None) != (high is None):
                raise UserError(f"参数 {name} 需要同时填写下限和上限", f"parameter {name} needs both bounds")
            if low is not None:
                bounds[name] = [low, high]
            if pin is not None:
                pins[name] = pin
        band = [self.band_low.value(), self.band_high.value()] if self.band_on.isChecked() else None
        shown = {"bounds": bounds, "pins": pins, "band": band, "profile": self.profile.currentData()}
        return Overrides.from_dict(self.loaded.to_dict() | shown)  # max change, faults, focus… kept

    # --- actions ---------------------------------------------------------------------------------

    def save(self) -> None:
        learner, school_class = self.current_scope()
        overrides = self.overrides()
        with self.ctx.sessions() as db, db.begin():
            scope = save_overrides(db, self.ctx.actor, self.ctx.space, overrides, learner, school_class)
        self.ctx.say(self.ctx.t(f"已保存 {scope}", f"saved {scope}"))
        if self.preview_learner.count():
            self.preview()

    def assign(self) -> None:
        learner_code, class_code = self.current_scope()
        scenario = self.scenario.currentData()
        with self.ctx.sessions() as db, db.begin():
            scope = assign(db, self.ctx.actor, scenario, learner_code, class_code)
        self.ctx.say(self.ctx.t(f"已指派 {scenario} 给 {scope}", f"assigned {scenario} to {scope}"))

    def preview(self) -> None:
        """The generator's plan for the selected learner's next attempt, with its reasons."""
        code = self.preview_learner.currentText()
        if not code:
            raise UserError("没有学员可预览", "no learner to preview")
        self.explanation = next_plan(self.ctx.sessions, self.ctx.actor, self.ctx.space, code)
        self._show_plan()

    def _show_plan(self) -> None:
        e, lang, t = self.explanation, self.ctx.language.lang, self.ctx.t
        if e is None:
            self.summary.setText(
                t(
                    "点击“预览”查看生成器为下一次练习选择的参数及理由",
                    "Press Preview to see what the generator chooses next, and why",
                )
            )
            fill_table(self.plan, [], [])
            return
        applied = e.get("overrides") or {}
        set_parts = [k for k in ("bounds", "pins") if applied.get(k)] + (
            ["band"] if applied.get("band") else []
        )
        self.summary.setText(
            "\n".join(
                headline(e, lang)
                + [
                    t(
                        f"生效的教师设置：{', '.join(set_parts)}",
                        f"instructor settings in force: {', '.join(set_parts)}",
                    )
                ]
                * bool(set_parts)
            )
        )
        rows = []
        for p in e["parameters"]:
            unit = f" {p['unit']}" if p["unit"] else ""
            value = p["value"] if isinstance(p["value"], int | bool) else f"{p['value']:.3g}"
            why = p["text"][lang] + "".join(f"\n• {r[lang]}" for r in p["rule_text"])
            rows.append([p["title"][lang], f"{value}{unit}", why])
        fill_table(self.plan, [t("参数", "Parameter"), t("选定值", "Chosen value"), t("理由", "Why")], rows)
        self.plan.horizontalHeader().setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.plan.resizeRowsToContents()

    def retranslate(self) -> None:
        t = self.ctx.t
        index = self.scope.currentIndex()
        self.scope.blockSignals(True)
        self.scope.clear()
        for learner, school_class in self.scopes:
            self.scope.addItem(
                t(f"学员 {learner}", f"learner {learner}")
                if learner
                else t(f"班级 {school_class}", f"class {school_class}")
            )
        self.scope.setCurrentIndex(max(0, index))
        self.scope.blockSignals(False)
        self.labels["scope"].setText(t("设置对象", "Applies to"))
        self.labels["band"].setText(t("目标通过率区间", "Target success band"))
        self.labels["scenario"].setText(t("练习场景", "Scenario"))
        self.labels["profile"].setText(t("练习强度", "Practice profile"))
        current = self.profile.currentData()
        self.profile.clear()
        self.profile.addItem(t("自动（按汇总进步选择）", "automatic (chosen from pooled progress)"), None)
        for profile in PROFILES.values():
            self.profile.addItem(profile.title.get(self.ctx.language.lang), profile.id)
        self.profile.setCurrentIndex(max(0, self.profile.findData(current)))
        self.labels["plan"].setText(t("下一次练习（学员）", "Next attempt of"))
        self.band_on.setText(t("设定", "set"))
        self.save_button.setText(t("保存难度设置", "Save difficulty settings"))
        self.assign_button.setText(t("指派", "Assign"))
        self.preview_button.setText(t("预览", "Preview"))
        if self.scopes:
            self.load_scope()
        self._show_plan()


def _number(item: QTableWidgetItem | None, name: str) -> float | None:
    text = item.text().strip() if item is not None else ""
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        raise UserError(
            f"参数 {name} 的值不是数字：{text}", f"value for {name} is not a number: {text}"
        ) from None
