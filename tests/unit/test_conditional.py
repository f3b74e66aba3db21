from datetime import datetime

from crawlers.conditional import ListingState, after_not_modified, after_response, request_headers

T0, T1, T2 = datetime(2026, 11, 1), datetime(2026, 11, 2), datetime(2026, 11, 3)
URL = "https://e.example/feed.xml"


def test_first_fetch_sends_no_validators_then_sends_both():
    assert request_headers(None, 4) == {}
    state, changed = after_response(None, URL, b"<rss/>", etag='"v1"', last_modified="Tue, 17 Nov 2026 09:00:00 GMT",
                                    now=T0, revalidate_after=4)
    assert changed and state.changed_at == T0
    assert request_headers(state, 4) == {"If-None-Match": '"v1"', "If-Modified-Since": "Tue, 17 Nov 2026 09:00:00 GMT"}


def test_same_body_with_new_etag_is_unchanged_and_new_body_with_same_etag_is_changed():
    state, _ = after_response(None, URL, b"A", etag='"v1"', last_modified=None, now=T0, revalidate_after=4)
    same, changed = after_response(state, URL, b"A", etag='"v2"', last_modified=None, now=T1, revalidate_after=4)
    assert not changed and same.changed_at == T0
    new, changed = after_response(same, URL, b"B", etag='"v2"', last_modified=None, now=T2, revalidate_after=4)
    assert changed and new.changed_at == T2


def test_after_a_streak_of_304s_one_full_fetch_and_lying_validators_are_dropped():
    state, _ = after_response(None, URL, b"A", etag='"v1"', last_modified=None, now=T0, revalidate_after=2)
    state = after_not_modified(after_not_modified(state, T1), T1)
    assert state.not_modified_streak == 2
    assert request_headers(state, 2) == {}  # due a full fetch
    honest, changed = after_response(state, URL, b"A", etag='"v1"', last_modified=None, now=T2, revalidate_after=2)
    assert not changed and not honest.validators_unreliable and request_headers(honest, 2)
    liar, changed = after_response(state, URL, b"B", etag='"v1"', last_modified=None, now=T2, revalidate_after=2)
    assert changed and liar.validators_unreliable
    assert request_headers(liar, 2) == {}


def test_state_round_trips_through_records():
    state = ListingState(url=URL, etag='"x"', body_hash="h", fetched_at=T1, changed_at=T0, status=200)
    assert ListingState.from_record(state.to_record()) == state
