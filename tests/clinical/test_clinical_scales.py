"""Clinical scale definitions, treatment events and metadata checks (Qt-free), down to the
session file."""

from __future__ import annotations

import datetime as dt

import pytest

from kinewrite.clinical.events import treatment_event
from kinewrite.clinical.metadata import (
    METADATA_CHOICES,
    METADATA_LABELS,
    patient_code_warning,
    validate_metadata,
)
from kinewrite.clinical.scales import (
    ADDS_ITEMS,
    ADDS_LEVELS,
    WCRS_ITEMS,
    WCRS_MAX,
    adds_result,
    adds_score,
    validate_date,
    wcrs_result,
    wcrs_subscores,
)
from kinewrite.errors import ClinicalInputError
from kinewrite.storage.reader import load_session
from kinewrite.storage.schema import SESSION_FIELDS
from kinewrite.storage.writer import SessionWriter

ZERO_ADDS = {i.key: 0 for i in ADDS_ITEMS}


def test_adds_has_fahns_seven_activities_scored_0_to_3() -> None:
    assert [i.key for i in ADDS_ITEMS] == [
        "writing", "musical_instrument", "buttoning", "utensils_feeding", "hygiene",
        "grasping_objects", "housework_job"]
    assert all((i.minimum, i.maximum) == (0, 3) for i in ADDS_ITEMS)
    assert sorted(ADDS_LEVELS) == [90, 95, 100]


def test_adds_score_formula() -> None:
    items = dict(ZERO_ADDS, writing=3, buttoning=1)  # total 4, as the storage doctest
    got, level, score = adds_result(items)
    assert level is None and got == items
    assert score == pytest.approx(90 - 90 * 4 / 21) == pytest.approx(72.857142857)
    assert score == adds_score(items)
    assert adds_result(ZERO_ADDS)[2] == 90.0
    assert adds_result({k: 3 for k in ZERO_ADDS})[2] == 0.0
    assert adds_result(dict(ZERO_ADDS, writing=2.0))[0]["writing"] == 2  # 2.0 is a whole 2


@pytest.mark.parametrize("level", [100, 95, 90])
def test_adds_levels(level: int) -> None:
    assert adds_result(level_pct=level) == ({}, level, float(level))


@pytest.mark.parametrize(("items", "level", "message"), [
    (None, 80, "level must be 100, 95 or 90"),
    (None, None, "level must be 100, 95 or 90"),
    (dict(ZERO_ADDS, writing=1), 95, "not both"),
    ({"writing": 1}, None, "missing musical_instrument, buttoning"),
    (dict(ZERO_ADDS, writing=4), None, "'writing' must be 0-3, got 4"),
    (dict(ZERO_ADDS, writing=-1), None, "'writing' must be 0-3"),
    (dict(ZERO_ADDS, writing=1.5), None, "whole number 0-3, got 1.5"),
    (dict(ZERO_ADDS, writing=True), None, "whole number"),
    (dict(ZERO_ADDS, writing="2"), None, "whole number"),
    (dict(ZERO_ADDS, drinking=1), None, "unknown activity 'drinking'"),
])
def test_adds_refuses(items: dict | None, level: int | None, message: str) -> None:
    with pytest.raises(ClinicalInputError, match=message.replace("(", r"\(")):
        adds_result(items, level)


def test_wcrs_items_span_0_to_30_and_are_flagged_unverified() -> None:
    assert WCRS_MAX == 30 == sum(i.maximum for i in WCRS_ITEMS)
    assert len({i.key for i in WCRS_ITEMS}) == len(WCRS_ITEMS)
    assert not any(i.verified for i in WCRS_ITEMS)  # the docstring says why
    everything = {i.key: i.maximum for i in WCRS_ITEMS}
    assert wcrs_subscores(everything) == {"writing_movement": 28, "writing_speed": 2,
                                         "total": 30}


def test_wcrs_result_sums_items() -> None:
    items = {i.key: 0 for i in WCRS_ITEMS}
    items.update(wrist_flexion=2, finger_flexion=1, tremor=1, writing_speed=1)
    got, total = wcrs_result(items)
    assert total == 5 and got == items
    with pytest.raises(ClinicalInputError, match="'tremor' must be 0-2, got 3"):
        wcrs_result(dict(items, tremor=3))
    with pytest.raises(ClinicalInputError, match="missing latency"):
        wcrs_result({k: v for k, v in items.items() if k != "latency"})
    with pytest.raises(ClinicalInputError, match="unknown item 'speed'"):
        wcrs_result(dict(items, speed=1))


def test_validate_date() -> None:
    assert validate_date("2024-02-29") == "2024-02-29"
    for bad in ("2023-02-29", "29.02.2024", "2024-2-9", "", "2024-02-29T10:00"):
        with pytest.raises(ClinicalInputError, match="not a valid date"):
            validate_date(bad)
    tomorrow = (dt.date.today() + dt.timedelta(days=1)).isoformat()
    with pytest.raises(ClinicalInputError, match="in the future"):
        validate_date(tomorrow, "event date")
    assert validate_date(tomorrow, allow_future=True) == tomorrow


def test_toxin_event_total_product_and_doses() -> None:
    ev = treatment_event("botulinum_toxin", "2024-03-01",
                         doses_units={"flexor carpi radialis": 20, " pronator  teres ": 15.5},
                         product="onabotulinumtoxinA (Botox)", notes="EMG guided")
    assert ev["kind"] == "botulinum_toxin" and ev["date"] == "2024-03-01"
    assert ev["muscles"] == ["flexor carpi radialis", "pronator teres"]
    assert ev["dose_units"] == 35.5
    assert ev["product"] == "onabotulinumtoxinA (Botox)" and ev["notes"] == "EMG guided"
    assert ev["doses_units"] == {"flexor carpi radialis": 20.0, "pronator teres": 15.5}
    # a muscle without its dose is fine when the total is known
    ev = treatment_event("botulinum_toxin", "2024-03-01", product="abobotulinumtoxinA",
                         doses_units={"flexor digitorum superficialis": None}, total_units=80)
    assert ev["dose_units"] == 80.0 and ev["muscles"] == ["flexor digitorum superficialis"]
    assert ev["doses_units"] == {"flexor digitorum superficialis": None}
    assert ev["product"] == "abobotulinumtoxinA" and ev["notes"] == ""


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"doses_units": {"FCR": 20}}, "the product is required"),
    ({"product": "Botox"}, "at least one injected muscle"),
    ({"product": "Botox", "doses_units": {"FCR": None}}, "a dose for every muscle or the total"),
    ({"product": "Botox", "doses_units": {"FCR": 20, "FDS": 10}, "total_units": 40},
     "total 40 U differs from the sum of the per-muscle doses 30 U"),
    ({"product": "Botox", "doses_units": {"FCR": 0}}, "dose in FCR must be a positive"),
    ({"product": "Botox", "doses_units": {"FCR": float("nan")}}, "dose in FCR"),
    ({"product": "Botox", "doses_units": {"FCR": 5000}}, "up to 2000 U"),
    ({"product": "Botox", "doses_units": {"FCR": 1, "FCR ": 2}}, "'FCR' listed twice"),
    ({"product": "Botox", "doses_units": {"a;b": 1}}, "muscle name 'a;b' refused"),
])
def test_toxin_event_refuses(kwargs: dict, message: str) -> None:
    with pytest.raises(ClinicalInputError, match=message):
        treatment_event("botulinum_toxin", "2024-03-01", **kwargs)


def test_other_events() -> None:
    ev = treatment_event("pen_grip_training", "2024-03-02", notes="modified grip, week 1")
    assert ev == {"kind": "pen_grip_training", "date": "2024-03-02", "muscles": [],
                  "dose_units": None, "product": "", "doses_units": {},
                  "notes": "modified grip, week 1"}
    with pytest.raises(ClinicalInputError, match="has no muscles, dose or product"):
        treatment_event("pen_grip_training", "2024-03-02", total_units=10)
    with pytest.raises(ClinicalInputError, match="event kind must be one of"):
        treatment_event("surgery", "2024-03-02")
    with pytest.raises(ClinicalInputError, match="event date '2024-13-01' is not a valid"):
        treatment_event("other", "2024-13-01")


def test_validate_metadata() -> None:
    assert set(METADATA_LABELS) == set(SESSION_FIELDS)
    assert set(METADATA_CHOICES) <= set(SESSION_FIELDS)
    assert METADATA_CHOICES["wc_subtype"] == ("simple", "dystonic", "progressive")
    got = validate_metadata({"hand": "left", "wc_subtype": "dystonic", "operator": " AB ",
                             "site": "", "last_botox_date": "2024-01-15"})
    assert got == {"hand": "left", "wc_subtype": "dystonic", "operator": "AB",
                   "last_botox_date": "2024-01-15"}
    with pytest.raises(ClinicalInputError, match="unknown session field 'name'"):
        validate_metadata({"name": "x"})
    with pytest.raises(ClinicalInputError, match="hand must be one of right, left, got 'Right'"):
        validate_metadata({"hand": "Right"})
    with pytest.raises(ClinicalInputError, match="last toxin injection date"):
        validate_metadata({"last_botox_date": "15.01.2024"})


@pytest.mark.parametrize(("code", "warns"), [
    ("WC-017", False), ("P12", False), ("ABC", False), ("wc17", False), ("x", False),
    ("Smith", True), ("smith", True), ("Anna-Maria", True), ("J.Doe", True),
    ("Mueller_Hans", True), ("pilot", True),
])
def test_patient_code_warning(code: str, warns: bool) -> None:
    assert (patient_code_warning(code) is not None) == warns


def test_entries_round_trip_through_a_session_file(tmp_path) -> None:
    adds_items, _, adds_pct = adds_result(dict(ZERO_ADDS, writing=3, buttoning=1))
    wcrs_items, wcrs_total = wcrs_result(dict({i.key: 0 for i in WCRS_ITEMS}, wrist_flexion=2,
                                              tremor=1, writing_speed=2))
    ev = treatment_event("botulinum_toxin", "2024-03-01", product="incobotulinumtoxinA",
                         doses_units={"flexor carpi ulnaris": 25, "extensor digitorum": 10})
    with SessionWriter.create(tmp_path, "WC-017",
                              metadata=validate_metadata({"hand": "right"})) as w:
        assert w.add_clinical("ADDS", adds_items, "2024-03-01", "R1") == pytest.approx(adds_pct)
        w.add_clinical("ADDS", {}, "2024-03-02", "R1", level_pct=95)
        assert w.add_clinical("WCRS", wcrs_items, "2024-03-01", "R2") == wcrs_total == 5
        w.add_event(**ev)
        path = w.path
    s = load_session(path)
    assert [c.score for c in s.clinical] == [pytest.approx(72.857142857), 95.0, 5.0]
    assert s.clinical[0].items == adds_items and s.clinical[2].items == wcrs_items
    e = s.events[0]
    assert e.muscles == ["flexor carpi ulnaris", "extensor digitorum"] and e.dose_units == 35.0
    assert (e.product, e.notes) == ("incobotulinumtoxinA", "")
    assert e.doses_units == {"flexor carpi ulnaris": 25.0, "extensor digitorum": 10.0}
