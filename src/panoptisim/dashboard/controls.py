"""The dashboard's parameter controls, built from the schema's declarations.

Every control is a text field labelled with the parameter's key, unit and allowed range; it
takes any value the schema allows (the scenario loader checks it and names the problem).
Key parameters that are real numbers also get a slider over a typical range around their
value: a logarithmic one for rates and small probabilities (a value in [0, 1] below
:data:`LOG_BELOW`), a linear one for shares and weights. The slider and the field move
together; the field wins when the two disagree (a value beyond the slider's range widens
it). Booleans are on/off selects and lists of feeds are multiple selects, native elements a
screen reader names by their visible label.
"""

from __future__ import annotations

import json
import math
from typing import Any

import panel as pn
import param

from panoptisim.fmt import bound
from panoptisim.scenario import ParamInfo

#: A [0, 1] parameter whose value lies below this is a rate: its slider is logarithmic.
LOG_BELOW = 0.05
#: The value a log slider centres on when the parameter's value is 0.
LOG_ZERO_CENTRE = 1e-3
ON_OFF = {"on": True, "off": False}
#: A field's label wraps within the sidebar instead of running past its edge.
WRAP_LABEL = "label { white-space: normal; overflow-wrap: anywhere; }"


def css_name(key: str) -> str:
    """The CSS class of a parameter's field (for tests and styling)."""
    return "ps-" + key.replace(".", "-").replace("_", "-")


def label(p: ParamInfo) -> str:
    """A field's visible label: key, unit and the values the schema allows."""
    return f"{p.key} ({p.unit}; {p.allowed})"


def is_rate(p: ParamInfo, value: Any) -> bool:
    """Whether a parameter is a rate or small probability (it gets a log slider)."""
    return (p.annotation is float and p.bounds.lo == 0 and p.bounds.hi == 1
            and float(value) < LOG_BELOW)


def typical_range(p: ParamInfo, value: float) -> tuple[float, float, bool]:
    """The slider's (start, end, logarithmic) around ``value``, within the schema's bounds.

    A rate spans two decades below its value's and one above (capped at 1); a share spans
    [0, 1]; anything else spans the value ± its size, so the value sits mid-slider.
    """
    lo, hi = p.bounds.lo, p.bounds.hi
    if is_rate(p, value):
        exp = math.log10(value or LOG_ZERO_CENTRE)
        return 10.0 ** (math.floor(exp) - 2), min(1.0, 10.0 ** (math.ceil(exp) + 1)), True
    if lo == 0 and hi == 1:
        return 0.0, 1.0, False
    span = abs(value) or (float(hi - lo) / 10 if lo is not None and hi is not None else 1.0)
    start, end = value - span, value + span
    if lo is not None and start <= lo:
        start = lo + span / 100 if p.bounds.lo_open else float(lo)
    if hi is not None and end >= hi:
        end = hi - span / 100 if p.bounds.hi_open else float(hi)
    return float(start), float(end), False


def parse(p: ParamInfo, text: str) -> Any:
    """A field's text as the parameter's type; text that does not parse is passed on as
    is, so the scenario loader's message names the key, the text and what is allowed."""
    text = text.strip()
    digits = text.replace(",", "").replace("_", "")
    try:
        if p.annotation is int:
            try:  # int() first: a float would round a seed beyond 2**53
                return int(digits)
            except ValueError:  # 1e6, 2.5: the loader names a value that is not whole
                number = float(digits)
                return int(number) if number.is_integer() else number
        if p.annotation is float:
            return float(digits)
        return json.loads(text)  # a list of tables (population.regions)
    except ValueError:
        return text


def show(value: Any) -> str:
    """A value as its field shows it (``0.003``, ``100000``, JSON for lists of tables)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return bound(value)
    return json.dumps(value)


class ParamControl(pn.viewable.Viewer):
    """One parameter's field (and, for a key real-valued parameter, its slider)."""

    value = param.Parameter(doc="The parameter's value as the scenario takes it.")

    def __init__(self, p: ParamInfo, value: Any, slider: bool = False):
        super().__init__(value=value)
        self.info = p
        self.slider: pn.widgets.FloatSlider | None = None
        self.log = False
        self._syncing = False
        cls = [css_name(p.key)]
        style = {"css_classes": cls, "sizing_mode": "stretch_width",
                 "stylesheets": [WRAP_LABEL]}
        if p.annotation is bool:
            self.field = pn.widgets.Select(name=label(p), options=ON_OFF, value=bool(value),
                                           **style)
        elif p.choices is not None and isinstance(value, list):
            self.field = pn.widgets.MultiSelect(name=label(p), options=list(p.choices),
                                                value=list(value), size=len(p.choices),
                                                **style)
        elif p.choices is not None:
            self.field = pn.widgets.Select(name=label(p), options=list(p.choices),
                                           value=value, **style)
        else:
            widget = pn.widgets.TextAreaInput if isinstance(value, list) else \
                pn.widgets.TextInput
            self.field = widget(name=label(p), value=show(value), **style)
        self.field.param.watch(self._from_field, "value")
        if slider and p.annotation is float and None not in (p.bounds.lo, p.bounds.hi):
            start, end, self.log = typical_range(p, float(value))
            if self.log:
                start, end = math.log10(start), math.log10(end)
            self.slider = pn.widgets.FloatSlider(
                name="", start=start, end=end, step=(end - start) / 200, show_value=False,
                tooltips=False, value=self._position(float(value), start, end),
                css_classes=[css_name(p.key) + "-slider"], sizing_mode="stretch_width",
                margin=(0, 15, 10, 15))
            self.slider.param.watch(self._from_slider, "value")

    # ------------------------------------------------------------------ syncing
    def _position(self, value: float, start: float, end: float) -> float:
        pos = math.log10(value) if self.log and value > 0 else (start if self.log else value)
        return min(max(pos, start), end)

    def _from_field(self, event: param.parameterized.Event) -> None:
        if self._syncing:
            return
        new = event.new if not isinstance(self.field, pn.widgets.TextInput | \
                                          pn.widgets.TextAreaInput) \
            else parse(self.info, event.new)
        self.value = new
        if self.slider is not None and isinstance(new, float):
            pos = math.log10(new) if self.log and new > 0 else new
            self._syncing = True
            try:  # a value beyond the slider's range widens it (within the schema's bounds)
                if not self.log or new > 0:
                    self.slider.start = min(self.slider.start, pos)
                    self.slider.end = max(self.slider.end, pos)
                self.slider.value = self._position(new, self.slider.start, self.slider.end)
            finally:
                self._syncing = False

    def _from_slider(self, event: param.parameterized.Event) -> None:
        if self._syncing:
            return
        value = float(f"{10.0 ** event.new if self.log else event.new:.3g}")
        self._syncing = True
        try:
            self.field.value = show(value)
        finally:
            self._syncing = False
        self.value = value

    def set(self, value: Any) -> None:
        """Show a new value (a scenario was picked)."""
        if isinstance(self.field, pn.widgets.TextInput | pn.widgets.TextAreaInput):
            self.field.value = show(value)
        else:
            self.field.value = value

    def __panel__(self) -> pn.viewable.Viewable:
        """The field, with the slider under it."""
        if self.slider is None:
            return self.field
        return pn.Column(self.field, self.slider, sizing_mode="stretch_width", margin=0)
