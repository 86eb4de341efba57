"""The alert book: one alert per cause, repeats folded into it with a count, one notice when it
clears, and the whole state round-tripping through a sensor cursor."""

from __future__ import annotations

from sec_assets.automation.alerts.book import AlertBook, Cause


def cause(key: str = "run_failed:2024-08:sec_snapshots", occurrence: str = "run1", at: float = 100):
    return Cause(
        key, "sec_snapshots failed for 2024-08", "HTTP 500", "README", at, occurrence, "2024-08"
    )


def test_the_first_occurrence_opens_one_notice_and_repeats_are_counted_not_sent() -> None:
    book = AlertBook()
    assert book.occur(cause()) is not None
    assert book.occur(cause(occurrence="run2", at=200)) is None
    assert book.occur(cause(occurrence="run2", at=200)) is None  # the same run seen twice
    assert book.occur(cause(occurrence="run3", at=300)) is None
    alert = book.open["run_failed:2024-08:sec_snapshots"]
    assert (alert.count, alert.since, alert.last) == (3, 100, 300)
    assert [n.kind for n in book.outbox] == ["opened"]


def test_two_causes_are_two_alerts_and_a_cleared_one_sends_a_resolved_notice() -> None:
    book = AlertBook()
    book.occur(cause())
    book.occur(cause(key="run_failed:2024-09:sec_snapshots"))
    resolved = book.resolve("run_failed:2024-08:sec_snapshots", 500, "run x succeeded")
    assert resolved is not None and resolved.alert.count == 1 and resolved.how == "run x succeeded"
    assert book.resolve("run_failed:2024-08:sec_snapshots", 600, "again") is None
    assert list(book.open) == ["run_failed:2024-09:sec_snapshots"]
    assert [n.kind for n in book.outbox] == ["opened", "opened", "resolved"]


def test_reconcile_opens_active_states_and_resolves_only_its_own_prefix() -> None:
    book = AlertBook()
    book.occur(cause(key="breaker_open"))
    book.occur(cause(key="coverage_low:2024-08"))
    notices = book.reconcile("coverage_low:", [cause(key="coverage_low:2024-09")], 700, "ok")
    assert [(n.kind, n.alert.key) for n in notices] == [
        ("opened", "coverage_low:2024-09"),
        ("resolved", "coverage_low:2024-08"),
    ]
    assert set(book.open) == {"breaker_open", "coverage_low:2024-09"}


def test_the_book_survives_its_cursor_and_an_unreadable_cursor_starts_empty() -> None:
    book = AlertBook(source={"failure_after": 17})
    book.occur(cause())
    book.occur(cause(occurrence="run2"))
    book.address(["email"])
    again = AlertBook.parse(book.dumps())
    assert again.open == book.open and again.source == {"failure_after": 17}
    assert again.outbox == book.outbox and again.outbox[0].pending == ["email"]
    assert AlertBook.parse("{not json").open == {}
    assert AlertBook.parse(None).outbox == []


def test_cleaned_passes_every_text_through_the_redactor() -> None:
    c = Cause("k", "title tok", "why tok", "do tok", 1, "o").cleaned(
        lambda t: t.replace("tok", "***")
    )
    assert (c.title, c.why, c.action) == ("title ***", "why ***", "do ***")
