"""Preferences per user x rule x channel: in-app on and the rest off by default, a rule's own
preference over the user's preference for every rule, and targets that can be delivered to."""

from __future__ import annotations

import pytest

from bounded_contexts.support.domain.notifications import (
    InvalidPreference,
    NotificationPreferenceSet,
    Preference,
    PreferenceBook,
    UserPreferences,
)

HOOK = {"webhook_url": "https://hooks.example.com/qv", "secret_ref": "env:ALICE_HOOK"}


def test_a_user_never_configured_gets_notifications_in_the_app_only() -> None:
    book = PreferenceBook()
    assert book.channels("alice", "fill") == ("in_app",)
    assert book.channels("alice", "dead_letter") == ("in_app",)


def test_a_rules_own_preference_overrides_the_users_preference_for_every_rule() -> None:
    alice = UserPreferences.of("alice")
    assert alice.set(Preference("*", "webhook", True, **HOOK))
    assert alice.set(Preference("fill", "webhook", False))
    assert alice.set(Preference("*", "in_app", False))
    assert alice.channels("fill") == ()
    assert alice.channels("drawdown") == ("webhook",)
    assert alice.setting("drawdown", "webhook") == Preference("*", "webhook", True, **HOOK)


def test_setting_what_is_already_in_force_records_nothing() -> None:
    alice = UserPreferences.of("alice")
    assert alice.set(Preference("fill", "email", True, email="alice@example.com"))
    assert not alice.set(Preference("fill", "email", True, email="alice@example.com"))
    assert [type(p.event) for p in alice.collect_pending()] == [NotificationPreferenceSet]
    assert alice.version == 1


def test_the_book_folded_from_the_events_answers_as_the_aggregate_did() -> None:
    alice = UserPreferences.of("alice")
    alice.set(Preference("*", "email", True, email="alice@example.com"))
    alice.set(Preference("order_rejected", "in_app", False))
    book = PreferenceBook()
    for pending in alice.collect_pending():
        assert isinstance(pending.event, NotificationPreferenceSet)
        book.apply(pending.event)
    assert book.channels("alice", "order_rejected") == ("email",)
    assert book.channels("alice", "fill") == ("in_app", "email")
    assert book.of("alice").version == 2 and book.channels("bob", "fill") == ("in_app",)


def test_a_working_copy_leaves_the_book_as_it_was_until_the_store_accepts() -> None:
    book = PreferenceBook()
    book.apply(NotificationPreferenceSet("alice", "*", "in_app", False, None, None, None))
    copy = book.of("alice").copy()
    copy.set(Preference("*", "in_app", True))
    assert book.channels("alice", "fill") == () and copy.channels("fill") == ("in_app",)


@pytest.mark.parametrize(
    ("preference", "message"),
    [
        (Preference("fills", "in_app", True), "unknown rule 'fills'"),
        (Preference("fill", "sms", True), "unknown channel 'sms'"),  # type: ignore[arg-type]
        (Preference("fill", "webhook", True), "needs its URL and a secret reference"),
        (
            Preference("fill", "webhook", True, "ftp://x.example.com", "env:A"),
            r"not an http\(s\) URL",
        ),
        (Preference("fill", "webhook", True, "https:///path", "env:A"), r"not an http\(s\) URL"),
        (
            Preference("fill", "webhook", True, "https://x.example.com", "the secret itself"),
            "not a secret reference",
        ),
        (Preference("fill", "email", True), "needs an address"),
        (Preference("fill", "email", True, email="alice"), "not an e-mail address"),
        (
            Preference("fill", "email", True, email="a@b.com\nBcc: all@b.com"),
            "not an e-mail address",
        ),
        (Preference("fill", "in_app", True, email="a@b.com"), "email channel only"),
        (Preference("fill", "email", True, "https://x.example.com", email="a@b.com"), "webhook"),
    ],
)
def test_a_preference_that_cannot_work_is_refused_saying_why(
    preference: Preference, message: str
) -> None:
    with pytest.raises(InvalidPreference, match=message):
        UserPreferences.of("alice").set(preference)


def test_disabling_a_channel_needs_no_target() -> None:
    alice = UserPreferences.of("alice")
    assert alice.set(Preference("fill", "webhook", False))
    assert alice.set(Preference("fill", "email", False))
    assert alice.channels("fill") == ("in_app",)
