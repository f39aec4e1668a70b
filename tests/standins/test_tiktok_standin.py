"""The TikTok stand-in's wire formats, limits, transitions and faults, driven by raw HTTP."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest

from standins.tiktok import Counts, ManualClock, TikTokStandIn, steps, zero

KEY, SECRET = "test-client-key", "test-client-secret"
REDIRECT = "https://bot.example/tiktok/callback"
MB = 1_000_000
FILE_SOURCE = {"source": "FILE_UPLOAD", "video_size": 1000, "chunk_size": 1000, "total_chunk_count": 1}


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def tiktok(clock: ManualClock) -> Iterator[TikTokStandIn]:
    with TikTokStandIn(clock=clock, verified_url_prefixes=["https://media.example/"]) as standin:
        standin.add_account("alice", nickname="Alice")
        standin.add_account("bob", private=True)
        yield standin


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=5) as client:
        yield client


def token_of(tiktok: TikTokStandIn, open_id: str = "alice", **kwargs: Any) -> str:
    return str(tiktok.issue_tokens(open_id, **kwargs)["access_token"])


def api(
    http: httpx.Client, tiktok: TikTokStandIn, path: str, token: str | None, body: Any = None, **params: str
) -> httpx.Response:
    headers = {"authorization": f"Bearer {token}"} if token else {}
    return http.post(tiktok.base_url + path, json=body, headers=headers, params=params)


def error_of(response: httpx.Response) -> str:
    error = response.json()["error"]
    assert set(error) == {"code", "message", "log_id"}
    return str(error["code"])


def init(
    http: httpx.Client, tiktok: TikTokStandIn, token: str, privacy: str = "PUBLIC_TO_EVERYONE", **info: Any
) -> httpx.Response:
    body = {"post_info": {"privacy_level": privacy, **info}, "source_info": FILE_SOURCE}
    return api(http, tiktok, "/v2/post/publish/video/init/", token, body)


def upload_all(http: httpx.Client, upload_url: str, size: int = 1000) -> httpx.Response:
    headers = {"content-type": "video/mp4", "content-range": f"bytes 0-{size - 1}/{size}"}
    return http.put(upload_url, content=b"x" * size, headers=headers)


def status(http: httpx.Client, tiktok: TikTokStandIn, token: str, publish_id: str) -> httpx.Response:
    return api(http, tiktok, "/v2/post/publish/status/fetch/", token, {"publish_id": publish_id})


def post_and_upload(http: httpx.Client, tiktok: TikTokStandIn, token: str, **info: Any) -> str:
    data = init(http, tiktok, token, **info).json()["data"]
    assert upload_all(http, data["upload_url"]).status_code == 201
    return str(data["publish_id"])


# --- OAuth -------------------------------------------------------------------------------------------


def authorize(http: httpx.Client, tiktok: TikTokStandIn, **extra: str) -> dict[str, str]:
    params = {
        "client_key": KEY,
        "scope": "user.info.basic,video.publish,video.list",
        "response_type": "code",
        "redirect_uri": REDIRECT,
        "state": "st4te",
        **extra,
    }
    response = http.get(tiktok.base_url + "/v2/auth/authorize/", params=params)
    assert response.status_code == 302
    location = response.headers["location"]
    assert location.startswith(REDIRECT + "?")
    return dict(parse_qsl(urlsplit(location).query))


def exchange(http: httpx.Client, tiktok: TikTokStandIn, **form: str) -> httpx.Response:
    base = {
        "client_key": KEY,
        "client_secret": SECRET,
        "grant_type": "authorization_code",
        "redirect_uri": REDIRECT,
    }
    return http.post(tiktok.base_url + "/v2/oauth/token/", data={**base, **form})


def test_the_code_flow_gives_flat_tokens_and_codes_are_single_use(
    http: httpx.Client, tiktok: TikTokStandIn
) -> None:
    back = authorize(http, tiktok)
    assert back["state"] == "st4te"
    assert "*" in back["code"] and "!" in back["code"]  # URL-decoded here; raw they are %2A and %21
    assert back["scopes"] == "user.info.basic,video.list,video.publish"
    answer = exchange(http, tiktok, code=back["code"])
    assert answer.status_code == 200
    body = answer.json()
    assert set(body) == {
        "open_id",
        "scope",
        "access_token",
        "expires_in",
        "refresh_token",
        "refresh_expires_in",
        "token_type",
    }
    assert body["open_id"] == "alice" and body["access_token"].startswith("act.")
    assert (body["expires_in"], body["refresh_expires_in"], body["token_type"]) == (7200, 15552000, "Bearer")
    again = exchange(http, tiktok, code=back["code"])
    assert again.json()["error"] == "invalid_grant" and "log_id" in again.json()


def test_oauth_errors_come_in_oauths_own_shape(http: httpx.Client, tiktok: TikTokStandIn) -> None:
    code = authorize(http, tiktok)["code"]
    mismatch = exchange(http, tiktok, code=code, redirect_uri="https://other.example/cb").json()
    assert mismatch["error"] == "invalid_request"
    assert mismatch["error_description"] == "Redirect_uri is not matched with the uri when requesting code."
    missing = http.post(tiktok.base_url + "/v2/oauth/token/", data={"client_key": KEY}).json()
    assert missing["error"] == "invalid_request" and "malformed" in missing["error_description"]
    wrong = exchange(http, tiktok, code="x", client_secret="nope")
    assert wrong.json()["error"] == "invalid_client"
    tiktok.authorize_as("alice", refuse=True)
    refused = authorize(http, tiktok)
    assert refused["error"] == "access_denied" and refused["state"] == "st4te" and "code" not in refused


def test_a_user_may_grant_fewer_scopes_than_asked(http: httpx.Client, tiktok: TikTokStandIn) -> None:
    tiktok.authorize_as("bob", scopes={"user.info.basic", "video.list"})
    body = exchange(http, tiktok, code=authorize(http, tiktok)["code"]).json()
    assert body["open_id"] == "bob" and body["scope"] == "user.info.basic,video.list"
    info = api(http, tiktok, "/v2/post/publish/creator_info/query/", body["access_token"])
    assert info.status_code == 401 and error_of(info) == "scope_not_authorized"


def test_pkce_checks_the_hex_sha256_of_the_verifier(http: httpx.Client, tiktok: TikTokStandIn) -> None:
    verifier = "v" * 50
    challenge = hashlib.sha256(verifier.encode()).hexdigest()
    code = authorize(http, tiktok, code_challenge=challenge, code_challenge_method="S256")["code"]
    assert exchange(http, tiktok, code=code, code_verifier="wrong").json()["error"] == "invalid_grant"
    code = authorize(http, tiktok, code_challenge=challenge, code_challenge_method="S256")["code"]
    assert "access_token" in exchange(http, tiktok, code=code, code_verifier=verifier).json()


def test_refresh_tokens_rotate_and_lifetimes_are_configurable(http: httpx.Client, clock: ManualClock) -> None:
    with TikTokStandIn(clock=clock, access_lifetime=86_400, refresh_lifetime=31_536_000) as tiktok:
        tiktok.add_account("alice")
        first = tiktok.issue_tokens("alice")
        form = {"client_key": KEY, "client_secret": SECRET, "grant_type": "refresh_token"}
        second = http.post(
            tiktok.base_url + "/v2/oauth/token/", data={**form, "refresh_token": first["refresh_token"]}
        ).json()
        assert second["refresh_token"] != first["refresh_token"]
        assert (second["expires_in"], second["refresh_expires_in"]) == (86_400, 31_536_000)
        old = http.post(
            tiktok.base_url + "/v2/oauth/token/", data={**form, "refresh_token": first["refresh_token"]}
        )
        assert old.json()["error"] == "invalid_grant"
        clock.advance(31_536_000)
        late = http.post(
            tiktok.base_url + "/v2/oauth/token/", data={**form, "refresh_token": second["refresh_token"]}
        )
        assert late.json()["error"] == "invalid_grant"


def test_access_tokens_expire_and_revoke_ends_the_grant(
    http: httpx.Client, tiktok: TikTokStandIn, clock: ManualClock
) -> None:
    tokens = tiktok.issue_tokens("alice")
    path = "/v2/post/publish/creator_info/query/"
    assert api(http, tiktok, path, tokens["access_token"]).status_code == 200
    clock.advance(7200)
    expired = api(http, tiktok, path, tokens["access_token"])
    assert expired.status_code == 401 and error_of(expired) == "access_token_invalid"
    fresh = tiktok.issue_tokens("alice")
    revoke = {"client_key": KEY, "client_secret": SECRET, "token": fresh["access_token"]}
    assert http.post(tiktok.base_url + "/v2/oauth/revoke/", data=revoke).status_code == 200
    assert error_of(api(http, tiktok, path, fresh["access_token"])) == "access_token_invalid"
    form = {
        "client_key": KEY,
        "client_secret": SECRET,
        "grant_type": "refresh_token",
        "refresh_token": fresh["refresh_token"],
    }
    assert http.post(tiktok.base_url + "/v2/oauth/token/", data=form).json()["error"] == "invalid_grant"
    assert error_of(api(http, tiktok, path, None)) == "access_token_invalid"


# --- Creator info and init ----------------------------------------------------------------------------


def test_creator_info_reflects_the_account(http: httpx.Client, tiktok: TikTokStandIn) -> None:
    public = api(http, tiktok, "/v2/post/publish/creator_info/query/", token_of(tiktok)).json()
    assert public["error"]["code"] == "ok" and public["error"]["message"] == ""
    assert public["data"]["privacy_level_options"] == [
        "PUBLIC_TO_EVERYONE",
        "MUTUAL_FOLLOW_FRIENDS",
        "SELF_ONLY",
    ]
    assert public["data"]["creator_nickname"] == "Alice" and public["data"]["duet_disabled"] is False
    private = api(http, tiktok, "/v2/post/publish/creator_info/query/", token_of(tiktok, "bob")).json()[
        "data"
    ]
    assert private["privacy_level_options"] == ["FOLLOWER_OF_CREATOR", "MUTUAL_FOLLOW_FRIENDS", "SELF_ONLY"]
    assert private["duet_disabled"] is True and private["stitch_disabled"] is True


def test_the_daily_cap_shows_on_creator_info_under_http_200_and_refuses_init(
    http: httpx.Client, tiktok: TikTokStandIn
) -> None:
    token = token_of(tiktok)
    tiktok.consume_daily_posts("alice", 15)  # "another app" used the day's posts
    info = api(http, tiktok, "/v2/post/publish/creator_info/query/", token)
    assert info.status_code == 200 and error_of(info) == "spam_risk_too_many_posts"
    refused = init(http, tiktok, token)
    assert refused.status_code == 403 and error_of(refused) == "spam_risk_too_many_posts"


def test_init_answers_a_publish_id_and_an_upload_url_on_another_host(
    http: httpx.Client, clock: ManualClock
) -> None:
    with TikTokStandIn(clock=clock, upload_host="localhost") as tiktok:
        tiktok.add_account("alice")
        answer = init(http, tiktok, token_of(tiktok))
        assert answer.status_code == 200
        data = answer.json()["data"]
        assert data["publish_id"].startswith("v_pub_file~v2-1.")
        assert data["upload_url"].startswith(f"http://localhost:{tiktok.base_url.rsplit(':', 1)[1]}/")
        assert upload_all(http, data["upload_url"]).status_code == 201


@pytest.mark.parametrize(
    ("info", "status_code", "code"),
    [
        ({"privacy_level": "FOLLOWER_OF_CREATOR"}, 403, "privacy_level_option_mismatch"),
        ({}, 403, "privacy_level_option_mismatch"),
        ({"privacy_level": "SELF_ONLY", "title": "😀" * 1101}, 400, "invalid_param"),  # 2202 UTF-16 units
        ({"privacy_level": "SELF_ONLY", "disable_duet": "yes"}, 400, "invalid_param"),
        ({"privacy_level": "SELF_ONLY", "schedule_time": 1}, 400, "invalid_param"),
    ],
)
def test_post_info_is_checked(
    http: httpx.Client, tiktok: TikTokStandIn, info: dict[str, Any], status_code: int, code: str
) -> None:
    body = {"post_info": info, "source_info": FILE_SOURCE}
    answer = api(http, tiktok, "/v2/post/publish/video/init/", token_of(tiktok), body)
    assert (answer.status_code, error_of(answer)) == (status_code, code)
    assert tiktok.publishes() == []


def test_a_title_of_exactly_2200_utf16_units_is_fine(http: httpx.Client, tiktok: TikTokStandIn) -> None:
    assert init(http, tiktok, token_of(tiktok), title="😀" * 1100).status_code == 200


@pytest.mark.parametrize(
    "source",
    [
        {"source": "FILE_UPLOAD", "video_size": 158 * MB, "chunk_size": 158 * MB, "total_chunk_count": 1},
        {"source": "FILE_UPLOAD", "video_size": 50 * MB, "chunk_size": 10 * MB, "total_chunk_count": 6},
        {"source": "FILE_UPLOAD", "video_size": 50 * MB, "chunk_size": 1 * MB, "total_chunk_count": 50},
        {"source": "FILE_UPLOAD", "video_size": 10 * MB},
        {"source": "DEVICE"},
    ],
)
def test_the_chunk_arithmetic_is_checked(
    http: httpx.Client, tiktok: TikTokStandIn, source: dict[str, Any]
) -> None:
    body = {"post_info": {"privacy_level": "SELF_ONLY"}, "source_info": source}
    answer = api(http, tiktok, "/v2/post/publish/video/init/", token_of(tiktok), body)
    assert (answer.status_code, error_of(answer)) == (400, "invalid_param")


def test_an_unaudited_client_may_post_only_self_only_to_private_accounts(
    http: httpx.Client, clock: ManualClock
) -> None:
    with TikTokStandIn(clock=clock, audited=False) as tiktok:
        tiktok.add_account("public")
        for index in range(6):
            tiktok.add_account(f"private{index}", private=True)
        refused = init(http, tiktok, token_of(tiktok, "public"), "SELF_ONLY")
        assert refused.status_code == 403
        assert error_of(refused) == "unaudited_client_can_only_post_to_private_accounts"
        followers = init(http, tiktok, token_of(tiktok, "private0"), "FOLLOWER_OF_CREATOR")
        assert error_of(followers) == "unaudited_client_can_only_post_to_private_accounts"
        for index in range(5):
            assert init(http, tiktok, token_of(tiktok, f"private{index}"), "SELF_ONLY").status_code == 200
        sixth = init(http, tiktok, token_of(tiktok, "private5"), "SELF_ONLY")
        assert (sixth.status_code, error_of(sixth)) == (403, "reached_active_user_cap")
        clock.advance(86_400)
        assert init(http, tiktok, token_of(tiktok, "private5"), "SELF_ONLY").status_code == 200


def test_pull_from_url_needs_a_verified_https_prefix(
    http: httpx.Client, tiktok: TikTokStandIn, clock: ManualClock
) -> None:
    token = token_of(tiktok)
    for url in ("https://elsewhere.example/a.mp4", "http://media.example/a.mp4"):
        body = {
            "post_info": {"privacy_level": "SELF_ONLY"},
            "source_info": {"source": "PULL_FROM_URL", "video_url": url},
        }
        answer = api(http, tiktok, "/v2/post/publish/video/init/", token, body)
        assert (answer.status_code, error_of(answer)) == (403, "url_ownership_unverified")
    body = {
        "post_info": {"privacy_level": "SELF_ONLY"},
        "source_info": {"source": "PULL_FROM_URL", "video_url": "https://media.example/a.mp4"},
    }
    data = api(http, tiktok, "/v2/post/publish/video/init/", token, body).json()["data"]
    assert data["publish_id"].startswith("v_pub_url~v2.") and "upload_url" not in data
    clock.advance(2.5)
    halfway = status(http, tiktok, token, data["publish_id"]).json()["data"]
    assert halfway["status"] == "PROCESSING_DOWNLOAD" and halfway["downloaded_bytes"] == 5_000_000
    clock.advance(10)
    assert status(http, tiktok, token, data["publish_id"]).json()["data"]["status"] == "PUBLISH_COMPLETE"


# --- Uploads ------------------------------------------------------------------------------------------


def test_chunks_go_in_order_with_206_then_201_and_progress(http: httpx.Client, tiktok: TikTokStandIn) -> None:
    size, chunk = 50_000_123, 10_000_000
    source = {"source": "FILE_UPLOAD", "video_size": size, "chunk_size": chunk, "total_chunk_count": 5}
    body = {"post_info": {"privacy_level": "SELF_ONLY"}, "source_info": source}
    data = api(http, tiktok, "/v2/post/publish/video/init/", token_of(tiktok), body).json()["data"]
    url = data["upload_url"]

    def put(first: int, last: int, kind: str = "video/mp4", length: int | None = None) -> httpx.Response:
        headers = {"content-type": kind, "content-range": f"bytes {first}-{last}/{size}"}
        return http.put(
            url, content=b"\0" * (last - first + 1 if length is None else length), headers=headers
        )

    assert put(10_000_000, 19_999_999).status_code == 416  # not the next range
    assert put(0, 9_999_999, kind="video/x-msvideo").status_code == 400
    assert put(0, 9_999_999, length=10).status_code == 400
    assert put(0, 4_999_999).status_code == 400  # not the declared chunk size
    first = put(0, 9_999_999)
    assert first.status_code == 206 and first.headers["content-range"] == f"bytes 0-9999999/{size}"
    repeat = put(0, 9_999_999)
    assert repeat.status_code == 416 and repeat.headers["content-range"] == f"bytes 0-9999999/{size}"
    for start in (10_000_000, 20_000_000, 30_000_000):
        assert put(start, start + chunk - 1).status_code == 206
    last = put(40_000_000, size - 1)  # the last chunk takes the remainder
    assert last.status_code == 201 and last.headers["content-range"] == f"bytes 0-{size - 1}/{size}"
    assert tiktok.publish(data["publish_id"]).uploaded_bytes == size


def test_an_upload_url_lasts_an_hour_and_unknown_ones_are_404(
    http: httpx.Client, tiktok: TikTokStandIn, clock: ManualClock
) -> None:
    url = init(http, tiktok, token_of(tiktok)).json()["data"]["upload_url"]
    assert upload_all(http, url.replace("upload_id=", "upload_id=0")).status_code == 404
    clock.advance(3600)
    assert upload_all(http, url).status_code == 403


# --- Status -------------------------------------------------------------------------------------------


def test_a_direct_post_goes_from_processing_to_complete_with_its_public_id(
    http: httpx.Client, tiktok: TikTokStandIn, clock: ManualClock
) -> None:
    token = token_of(tiktok)
    data = init(http, tiktok, token, title="Bouncy Dino #toys").json()["data"]
    before = status(http, tiktok, token, data["publish_id"]).json()["data"]
    assert before == {"status": "PROCESSING_UPLOAD", "publicaly_available_post_id": [], "uploaded_bytes": 0}
    upload_all(http, data["upload_url"])
    clock.advance(4.9)
    assert status(http, tiktok, token, data["publish_id"]).json()["data"]["status"] == "PROCESSING_UPLOAD"
    clock.advance(0.1)
    raw = status(http, tiktok, token, data["publish_id"]).text
    done = status(http, tiktok, token, data["publish_id"]).json()["data"]
    assert done["status"] == "PUBLISH_COMPLETE" and done["uploaded_bytes"] == 1000
    (public_id,) = done["publicaly_available_post_id"]
    assert isinstance(public_id, int) and len(str(public_id)) == 19 and str(public_id) in raw
    assert [(p.caption, p.kind) for p in tiktok.published("alice")] == [("Bouncy Dino #toys", "direct")]


def test_a_public_id_can_appear_long_after_publish_complete(
    http: httpx.Client, tiktok: TikTokStandIn, clock: ManualClock
) -> None:
    token = token_of(tiktok)
    tiktok.script_next_posts(public_id_delay=3 * 3600)
    publish_id = post_and_upload(http, tiktok, token)
    clock.advance(10)
    done = status(http, tiktok, token, publish_id).json()["data"]
    assert (done["status"], done["publicaly_available_post_id"]) == ("PUBLISH_COMPLETE", [])
    assert len(tiktok.published("alice")) == 1  # out, but not yet public
    clock.advance(3 * 3600)
    token = token_of(tiktok)  # the first one lasted 2 hours
    assert len(status(http, tiktok, token, publish_id).json()["data"]["publicaly_available_post_id"]) == 1


def test_self_only_posts_never_get_a_public_id(
    http: httpx.Client, tiktok: TikTokStandIn, clock: ManualClock
) -> None:
    token = token_of(tiktok)
    publish_id = post_and_upload(http, tiktok, token, privacy="SELF_ONLY")
    clock.advance(86_400)
    token = token_of(tiktok)
    assert status(http, tiktok, token, publish_id).json()["data"]["publicaly_available_post_id"] == []
    listed = api(http, tiktok, "/v2/video/list/", token, {}, fields="id").json()["data"]
    assert listed["videos"] == []


def test_scripted_failures_and_stuck_processing(
    http: httpx.Client, tiktok: TikTokStandIn, clock: ManualClock
) -> None:
    token = token_of(tiktok)
    tiktok.script_next_posts(fail_reason="duration_check_failed")
    tiktok.script_next_posts(stuck=True)
    failed = post_and_upload(http, tiktok, token)
    stuck = post_and_upload(http, tiktok, token)
    clock.advance(86_400)
    token = token_of(tiktok)
    answer = status(http, tiktok, token, failed).json()["data"]
    assert (answer["status"], answer["fail_reason"]) == ("FAILED", "duration_check_failed")
    assert status(http, tiktok, token, stuck).json()["data"]["status"] == "PROCESSING_UPLOAD"
    assert tiktok.published("alice") == []


def test_status_errors(http: httpx.Client, tiktok: TikTokStandIn) -> None:
    publish_id = init(http, tiktok, token_of(tiktok)).json()["data"]["publish_id"]
    unknown = status(http, tiktok, token_of(tiktok), "v_pub_file~v2-1.1")
    assert (unknown.status_code, error_of(unknown)) == (400, "invalid_publish_id")
    foreign = status(http, tiktok, token_of(tiktok, "bob"), publish_id)
    assert (foreign.status_code, error_of(foreign)) == (400, "token_not_authorized_for_specified_publish_id")


def test_an_inbox_draft_ends_at_send_to_user_inbox_until_the_creator_posts(
    http: httpx.Client, tiktok: TikTokStandIn, clock: ManualClock
) -> None:
    token = token_of(tiktok)
    with_info = {"post_info": {"title": "x"}, "source_info": FILE_SOURCE}
    assert (
        error_of(api(http, tiktok, "/v2/post/publish/inbox/video/init/", token, with_info)) == "invalid_param"
    )
    data = api(
        http, tiktok, "/v2/post/publish/inbox/video/init/", token, {"source_info": FILE_SOURCE}
    ).json()["data"]
    assert data["publish_id"].startswith("v_inbox_file~v2.")
    upload_all(http, data["upload_url"])
    clock.advance(3600)
    assert status(http, tiktok, token, data["publish_id"]).json()["data"]["status"] == "SEND_TO_USER_INBOX"
    assert tiktok.published("alice") == []
    tiktok.complete_draft(data["publish_id"], caption="Finished in the app")
    after = status(http, tiktok, token, data["publish_id"]).json()["data"]
    assert after["status"] == "PUBLISH_COMPLETE" and len(after["publicaly_available_post_id"]) == 1
    assert [(p.caption, p.kind) for p in tiktok.published("alice")] == [("Finished in the app", "inbox")]


def test_at_most_five_pending_inbox_shares(http: httpx.Client, tiktok: TikTokStandIn) -> None:
    token = token_of(tiktok)
    for _ in range(5):
        tiktok.limits["inbox_init"] = 100
        assert (
            api(
                http, tiktok, "/v2/post/publish/inbox/video/init/", token, {"source_info": FILE_SOURCE}
            ).status_code
            == 200
        )
    sixth = api(http, tiktok, "/v2/post/publish/inbox/video/init/", token, {"source_info": FILE_SOURCE})
    assert (sixth.status_code, error_of(sixth)) == (403, "spam_risk_too_many_pending_share")


# --- Limits -------------------------------------------------------------------------------------------


def test_six_inits_a_minute_per_token_then_429_without_retry_after(
    http: httpx.Client, tiktok: TikTokStandIn, clock: ManualClock
) -> None:
    token, other = token_of(tiktok), token_of(tiktok)
    for _ in range(6):
        assert init(http, tiktok, token).status_code == 200
        clock.advance(5)
    limited = init(http, tiktok, token)
    assert (limited.status_code, error_of(limited)) == (429, "rate_limit_exceeded")
    assert "retry-after" not in limited.headers
    assert init(http, tiktok, other).status_code == 200  # per token
    clock.advance(30)  # the first init leaves the sliding window
    assert init(http, tiktok, token).status_code == 200
    assert init(http, tiktok, token).status_code == 429
    assert len(tiktok.publishes("alice")) == 8  # refused calls created nothing


def test_thirty_status_fetches_a_minute(
    http: httpx.Client, tiktok: TikTokStandIn, clock: ManualClock
) -> None:
    token = token_of(tiktok)
    publish_id = init(http, tiktok, token).json()["data"]["publish_id"]
    codes = [status(http, tiktok, token, publish_id).status_code for _ in range(31)]
    assert codes == [200] * 30 + [429]
    clock.advance(60)
    assert status(http, tiktok, token, publish_id).status_code == 200


# --- Display ------------------------------------------------------------------------------------------


def test_video_list_pages_newest_first_with_a_cursor(
    http: httpx.Client, tiktok: TikTokStandIn, clock: ManualClock
) -> None:
    start = clock()
    for index in range(25):
        tiktok.add_video(
            "alice", f"video {index}", video_id=f"7{index:018d}", public_since=start - 1000 + index
        )
    tiktok.add_video("bob", "not alice's", video_id="7" + "9" * 18)
    token = token_of(tiktok)
    seen: list[str] = []
    cursor = None
    while True:
        body = {"max_count": 20} | ({} if cursor is None else {"cursor": cursor})
        data = api(http, tiktok, "/v2/video/list/", token, body, fields="id,title,create_time").json()["data"]
        seen += [video["title"] for video in data["videos"]]
        assert all(set(video) == {"id", "title", "create_time"} for video in data["videos"])
        cursor = data["cursor"]
        if not data["has_more"]:
            break
    assert seen == [f"video {index}" for index in reversed(range(25))]
    too_many = api(http, tiktok, "/v2/video/list/", token, {"max_count": 21}, fields="id")
    assert (too_many.status_code, error_of(too_many)) == (400, "invalid_params")
    assert error_of(api(http, tiktok, "/v2/video/list/", token, {}, fields="id,saves")) == "invalid_params"


def test_video_query_counts_change_with_time_and_a_dud_stays_at_zero(
    http: httpx.Client, tiktok: TikTokStandIn, clock: ManualClock
) -> None:
    tiktok.add_video(
        "alice", "hit", video_id="7000000000000000001", series=steps([(3600, Counts(1000, 50, 5, 2))])
    )
    tiktok.add_video("alice", "dud", video_id="7000000000000000002", series=zero())
    tiktok.add_video("bob", "bob's", video_id="7000000000000000003")
    ids = {"filters": {"video_ids": ["7000000000000000001", "7000000000000000002", "7000000000000000003"]}}
    fields = "id,view_count,like_count,comment_count,share_count"

    def views() -> dict[str, int]:
        videos = api(http, tiktok, "/v2/video/query/", token_of(tiktok), ids, fields=fields).json()["data"][
            "videos"
        ]
        return {video["id"]: video["view_count"] for video in videos}

    assert views() == {"7000000000000000001": 0, "7000000000000000002": 0}
    clock.advance(7200)
    assert views() == {"7000000000000000001": 1000, "7000000000000000002": 0}
    over = api(
        http,
        tiktok,
        "/v2/video/query/",
        token_of(tiktok),
        {"filters": {"video_ids": [str(i) for i in range(21)]}},
        fields="id",
    )
    assert (over.status_code, error_of(over)) == (400, "invalid_params")


def test_user_info_checks_scopes_per_field(http: httpx.Client, tiktok: TikTokStandIn) -> None:
    basic = token_of(tiktok, scopes={"user.info.basic"})
    answer = http.get(
        tiktok.base_url + "/v2/user/info/",
        params={"fields": "open_id,display_name"},
        headers={"authorization": f"Bearer {basic}"},
    )
    assert answer.json()["data"] == {"user": {"open_id": "alice", "display_name": "Alice"}}
    missed = http.get(
        tiktok.base_url + "/v2/user/info/",
        params={"fields": "username"},
        headers={"authorization": f"Bearer {basic}"},
    )
    assert (missed.status_code, error_of(missed)) == (400, "scope_permission_missed")


# --- Faults and records -------------------------------------------------------------------------------


def test_an_error_code_can_come_under_http_200(http: httpx.Client, tiktok: TikTokStandIn) -> None:
    tiktok.fail_next("init", "url_ownership_unverified", status=200)
    answer = init(http, tiktok, token_of(tiktok))
    assert answer.status_code == 200 and error_of(answer) == "url_ownership_unverified"
    assert init(http, tiktok, token_of(tiktok)).json()["error"]["code"] == "ok"


def test_server_errors_and_rate_limits_can_be_injected(http: httpx.Client, tiktok: TikTokStandIn) -> None:
    token = token_of(tiktok)
    tiktok.server_error_next("creator_info", status=503)
    tiktok.rate_limit_next("creator_info")
    first = api(http, tiktok, "/v2/post/publish/creator_info/query/", token)
    second = api(http, tiktok, "/v2/post/publish/creator_info/query/", token)
    assert (first.status_code, error_of(first)) == (503, "internal_error")
    assert (second.status_code, error_of(second)) == (429, "rate_limit_exceeded")
    assert api(http, tiktok, "/v2/post/publish/creator_info/query/", token).status_code == 200


def test_a_connection_dropped_after_acting_leaves_the_init_done(
    http: httpx.Client, tiktok: TikTokStandIn
) -> None:
    token = token_of(tiktok)
    tiktok.drop_next("init", after_acting=False)
    with pytest.raises(httpx.RemoteProtocolError):
        init(http, tiktok, token)
    assert tiktok.publishes() == []
    tiktok.drop_next("init", after_acting=True)
    with pytest.raises(httpx.RemoteProtocolError):
        init(http, tiktok, token)
    (publish,) = tiktok.publishes()
    assert publish.open_id == "alice" and publish.status(tiktok.clock()) == "PROCESSING_UPLOAD"


def test_a_slow_answer_times_the_client_out_after_acting(tiktok: TikTokStandIn) -> None:
    tiktok.slow_next("init", 2)
    with httpx.Client(timeout=0.2) as impatient, pytest.raises(httpx.ReadTimeout):
        init(impatient, tiktok, token_of(tiktok))
    assert len(tiktok.publishes()) == 1


def test_every_request_is_recorded(http: httpx.Client, tiktok: TikTokStandIn) -> None:
    token = token_of(tiktok)
    init(http, tiktok, token, title="hi")
    (recorded,) = tiktok.requests_to("init")
    assert recorded.method == "POST" and recorded.path == "/v2/post/publish/video/init/"
    assert recorded.headers["authorization"] == f"Bearer {token}"
    assert recorded.json["post_info"]["title"] == "hi"
    assert recorded.at == tiktok.clock()
    with pytest.raises(ValueError, match="no endpoint"):
        tiktok.fail_next("video/init", "x")  # type: ignore[arg-type]


def test_it_runs_by_hand() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "standins.tiktok", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None and process.stderr is not None
        base_url = process.stdout.readline().strip()
        process.stderr.readline()
        token = process.stderr.readline().split(": ")[1].strip()
        answer = httpx.post(
            base_url + "/v2/post/publish/creator_info/query/", headers={"authorization": f"Bearer {token}"}
        )
        assert answer.json()["data"]["creator_nickname"] == "Stand-in Creator"
    finally:
        process.terminate()
        process.wait(timeout=5)


def test_scripted_faults_keep_each_endpoints_shape(http: httpx.Client, tiktok: TikTokStandIn) -> None:
    tiktok.fail_next("token", "temporarily_unavailable", status=503)
    form = {
        "client_key": KEY,
        "client_secret": SECRET,
        "grant_type": "refresh_token",
        "refresh_token": "rft.x",
    }
    oauth = http.post(tiktok.base_url + "/v2/oauth/token/", data=form)
    assert oauth.status_code == 503 and set(oauth.json()) == {"error", "error_description", "log_id"}
    assert oauth.json()["error"] == "temporarily_unavailable"
    url = init(http, tiktok, token_of(tiktok)).json()["data"]["upload_url"]
    tiktok.server_error_next("upload", status=502)
    gateway = upload_all(http, url)
    assert gateway.status_code == 502 and gateway.headers["content-type"] == "text/plain"
    assert upload_all(http, url).status_code == 201  # the same chunk again


def test_chaos_fails_a_share_of_calls_and_half_of_those_after_acting(
    http: httpx.Client, tiktok: TikTokStandIn
) -> None:
    tiktok.limits["init"] = 1000
    tiktok.account("alice").daily_post_cap = 1000
    tiktok.chaos(0.3, endpoints=["init"], seed=7)
    token = token_of(tiktok)
    answered = dropped = failed = 0
    for _ in range(200):
        try:
            answer = init(http, tiktok, token)
        except httpx.RemoteProtocolError:
            dropped += 1
            continue
        if answer.status_code == 503:
            failed += 1
        else:
            answered += 1
    assert (dropped, failed) == (tiktok.faults.injected["drop_after"], tiktok.faults.injected["error"])
    assert 30 < dropped + failed < 90 and dropped > 10 and failed > 10
    assert len(tiktok.publishes()) == answered + dropped  # a dropped init still happened
    tiktok.chaos(0)
    assert init(http, tiktok, token).status_code == 200


def test_a_token_can_be_made_to_lapse_now(http: httpx.Client, tiktok: TikTokStandIn) -> None:
    token = token_of(tiktok)
    tiktok.expire_access_token(token)
    lapsed = api(http, tiktok, "/v2/post/publish/creator_info/query/", token)
    assert (lapsed.status_code, error_of(lapsed)) == (401, "access_token_invalid")


def test_concurrent_clients_meet_exact_limits(tiktok: TikTokStandIn) -> None:
    tiktok.account("alice").daily_post_cap = 100
    tokens = [token_of(tiktok) for _ in range(5)]

    def attempt(token: str) -> int:
        with httpx.Client(timeout=5) as own:
            return init(own, tiktok, token).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        codes = list(pool.map(attempt, [token for token in tokens for _ in range(9)]))
    assert codes.count(200) == 5 * 6 and codes.count(429) == 5 * 3
    assert len(tiktok.publishes("alice")) == 30
    assert len({p.publish_id for p in tiktok.publishes()}) == 30


def test_the_authorize_page_refuses_an_unknown_client(http: httpx.Client, tiktok: TikTokStandIn) -> None:
    params = {"client_key": "other", "response_type": "code", "redirect_uri": REDIRECT, "state": "s"}
    answer = http.get(tiktok.base_url + "/v2/auth/authorize/", params=params)
    assert answer.status_code == 400 and "location" not in answer.headers
