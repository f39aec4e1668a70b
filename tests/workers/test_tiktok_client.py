"""The real TikTok client against the stand-in: every method, every error shape, uploads and tokens."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest
import redis

from config.errors import SetupError
from config.settings import Settings
from core.media import chunk_plan
from standins.tiktok import Counts, ManualClock, TikTokStandIn, steps, zero
from workers.pacing import Pacer
from workers.tiktok import (
    RATE_LIMITS,
    PostInfo,
    PullFromUrl,
    TikTokClient,
    TikTokError,
    fail_reason_words,
    pace_key,
    pkce_pair,
)

KEY, SECRET = "test-client-key", "test-client-secret"
REDIRECT = "https://bot.example/tiktok/callback"
SMALL_CHUNK = 5_242_880


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def tiktok(clock: ManualClock) -> Iterator[TikTokStandIn]:
    with TikTokStandIn(clock=clock, verified_url_prefixes=["https://media.example/"]) as standin:
        standin.add_account("alice", nickname="Alice", username="alice.toys")
        standin.add_account("bob", private=True)
        yield standin


@pytest.fixture
def client(tiktok: TikTokStandIn, clock: ManualClock) -> Iterator[TikTokClient]:
    with TikTokClient(
        client_key=KEY,
        client_secret=SECRET,
        api_url=tiktok.base_url,
        auth_url=tiktok.base_url,
        timeout=httpx.Timeout(5.0),
        clock=clock,
    ) as tiktok_client:
        yield tiktok_client


@pytest.fixture
def token(tiktok: TikTokStandIn) -> str:
    return str(tiktok.issue_tokens("alice")["access_token"])


@pytest.fixture
def video(tmp_path: Path) -> Path:
    """A 12 MB file: two chunks of at least 5 MiB, the last taking the remainder."""
    path = tmp_path / "dino.mp4"
    path.write_bytes(os.urandom(12_000_000))
    return path


def connect(client: TikTokClient, **authorize: str | None) -> dict[str, str]:
    """Follow the authorize URL as a browser would; the redirect's query, URL-decoded."""
    url = client.authorize_url("state-1", redirect_uri=REDIRECT, **authorize)  # type: ignore[arg-type]
    location = httpx.get(url).headers["location"]
    return dict(parse_qsl(urlsplit(location).query))


def caught(call: object, *args: object, **kwargs: object) -> TikTokError:
    with pytest.raises(TikTokError) as error:
        call(*args, **kwargs)  # type: ignore[operator]
    return error.value


# --- OAuth -------------------------------------------------------------------------------------------


def test_connecting_an_account_gives_tokens_with_expiry_instants(
    client: TikTokClient, clock: ManualClock
) -> None:
    url = client.authorize_url("state-1", redirect_uri=REDIRECT)
    params = dict(parse_qsl(urlsplit(url).query))
    assert url.startswith(client.auth_url + "/v2/auth/authorize/?")
    assert params["scope"] == "user.info.basic,user.info.profile,video.publish,video.upload,video.list"
    assert "code_challenge" not in params
    back = connect(client)
    assert back["state"] == "state-1"
    tokens = client.exchange_code(back["code"], redirect_uri=REDIRECT)
    now = datetime.fromtimestamp(clock(), UTC)
    assert tokens.open_id == "alice" and tokens.missing_scopes() == set()
    assert tokens.access_expires_at == now + timedelta(hours=2)
    assert tokens.refresh_expires_at == now + timedelta(days=180)
    assert tokens.access_token not in repr(tokens) and tokens.refresh_token not in repr(tokens)


def test_fewer_scopes_granted_are_visible(client: TikTokClient, tiktok: TikTokStandIn) -> None:
    tiktok.authorize_as("alice", scopes={"user.info.basic", "video.list"})
    tokens = client.exchange_code(connect(client)["code"], redirect_uri=REDIRECT)
    assert tokens.missing_scopes() == {"user.info.profile", "video.publish", "video.upload"}


def test_pkce_with_tiktoks_hex_challenge(client: TikTokClient) -> None:
    verifier, challenge = pkce_pair()
    code = connect(client, code_challenge=challenge)["code"]
    assert client.exchange_code(code, redirect_uri=REDIRECT, code_verifier=verifier).open_id == "alice"


def test_oauth_errors_say_reconnect(client: TikTokClient, tiktok: TikTokStandIn) -> None:
    code = connect(client)["code"]
    mismatch = caught(client.exchange_code, code, redirect_uri="https://other.example/cb")
    assert mismatch.code == "invalid_request" and mismatch.needs_reconnect and not mismatch.retryable
    assert mismatch.log_id and mismatch.log_id in str(mismatch)
    used = caught(client.exchange_code, code, redirect_uri=REDIRECT)
    assert used.code == "invalid_grant" and "reconnect the account" in used.reason
    tiktok.authorize_as("alice", refuse=True)
    assert connect(client)["error"] == "access_denied"
    wrong = TikTokClient(client_key=KEY, client_secret="nope", api_url=client.api_url)
    assert (
        caught(wrong.refresh, "rft.x").reason
        == "TikTok does not accept TIKTOK_CLIENT_KEY/TIKTOK_CLIENT_SECRET"
    )
    wrong.close()


def test_refresh_rotates_and_the_old_refresh_token_dies(client: TikTokClient, tiktok: TikTokStandIn) -> None:
    first = client.exchange_code(connect(client)["code"], redirect_uri=REDIRECT)
    second = client.refresh(first.refresh_token)
    assert second.refresh_token != first.refresh_token and second.access_token != first.access_token
    assert client.creator_info(second.access_token).nickname == "Alice"
    assert caught(client.refresh, first.refresh_token).code == "invalid_grant"


def test_a_refresh_whose_answer_is_lost_may_have_rotated_the_token(
    client: TikTokClient, tiktok: TikTokStandIn
) -> None:
    tokens = client.exchange_code(connect(client)["code"], redirect_uri=REDIRECT)
    tiktok.drop_next("token", after_acting=True)
    lost = caught(client.refresh, tokens.refresh_token)
    assert lost.after_acting_possible and lost.retryable and lost.code == "connection_error"
    # TikTok did rotate: the token we hold is dead, which is why refreshes happen under a lock.
    assert caught(client.refresh, tokens.refresh_token).needs_reconnect


def test_revoke_ends_the_grant(client: TikTokClient, tiktok: TikTokStandIn, token: str) -> None:
    client.revoke(token)
    error = caught(client.creator_info, token)
    assert error.token_expired and error.http_status == 401


# --- Posting ------------------------------------------------------------------------------------------


def test_creator_info(client: TikTokClient, tiktok: TikTokStandIn, token: str) -> None:
    info = client.creator_info(token)
    assert (info.nickname, info.username) == ("Alice", "alice.toys")
    assert info.privacy_level_options == ("PUBLIC_TO_EVERYONE", "MUTUAL_FOLLOW_FRIENDS", "SELF_ONLY")
    assert (info.comment_disabled, info.duet_disabled, info.max_video_post_duration_sec) == (
        False,
        False,
        600,
    )
    private = client.creator_info(str(tiktok.issue_tokens("bob")["access_token"]))
    assert private.duet_disabled and private.stitch_disabled


def test_a_direct_post_of_a_file_goes_out_once(
    client: TikTokClient, tiktok: TikTokStandIn, clock: ManualClock, token: str, video: Path
) -> None:
    plan = chunk_plan(video.stat().st_size, SMALL_CHUNK)
    assert plan.total_chunk_count == 2
    started = client.init_direct_post(token, PostInfo("PUBLIC_TO_EVERYONE", title="Bouncy Dino #toys"), plan)
    assert started.publish_id.startswith("v_pub_file~") and started.plan == plan
    assert client.fetch_status(token, started.publish_id).status == "PROCESSING_UPLOAD"
    assert started.upload_url is not None
    assert client.upload(started.upload_url, video, plan) == 12_000_000
    puts = tiktok.requests_to("upload")
    assert [put.headers["content-range"] for put in puts] == [
        f"bytes 0-{SMALL_CHUNK - 1}/12000000",
        f"bytes {SMALL_CHUNK}-11999999/12000000",
    ]
    assert all(
        put.headers["content-type"] == "video/mp4" and "authorization" not in put.headers for put in puts
    )
    clock.advance(5)
    done = client.fetch_status(token, started.publish_id)
    assert done.status == "PUBLISH_COMPLETE" and done.final and done.uploaded_bytes == 12_000_000
    (public_id,) = done.public_post_ids
    assert len(public_id) == 19
    assert [(p.video_id, p.caption) for p in tiktok.published("alice")] == [(public_id, "Bouncy Dino #toys")]
    init_body = tiktok.requests_to("init")[0].json
    assert init_body["source_info"] == {
        "source": "FILE_UPLOAD",
        "video_size": 12_000_000,
        "chunk_size": SMALL_CHUNK,
        "total_chunk_count": 2,
    }
    assert init_body["post_info"]["privacy_level"] == "PUBLIC_TO_EVERYONE"
    assert tiktok.requests_to("init")[0].headers["content-type"] == "application/json; charset=UTF-8"


def test_a_token_expiring_between_upload_and_status_needs_no_second_init(
    client: TikTokClient, tiktok: TikTokStandIn, clock: ManualClock, video: Path
) -> None:
    tokens = client.exchange_code(connect(client)["code"], redirect_uri=REDIRECT)
    plan = chunk_plan(video.stat().st_size)
    tiktok.script_next_posts(expire_token_on_upload=True)
    started = client.init_direct_post(tokens.access_token, PostInfo("SELF_ONLY", title="once"), plan)
    assert started.upload_url is not None
    client.upload(started.upload_url, video, plan)
    expired = caught(client.fetch_status, tokens.access_token, started.publish_id)
    assert expired.token_expired and not expired.needs_reconnect
    clock.advance(10)
    fresh = client.refresh(tokens.refresh_token)
    status = client.fetch_status(fresh.access_token, started.publish_id)
    assert status.status == "PUBLISH_COMPLETE" and status.public_post_ids == ()  # SELF_ONLY: never public
    assert len(tiktok.requests_to("init")) == 1 and len(tiktok.published("alice")) == 1


def test_an_init_whose_answer_is_lost_is_flagged_after_acting(
    client: TikTokClient, tiktok: TikTokStandIn, token: str
) -> None:
    tiktok.drop_next("init", after_acting=True)
    lost = caught(client.init_direct_post, token, PostInfo("SELF_ONLY"), chunk_plan(1000))
    assert lost.after_acting_possible and lost.retryable
    assert "outcome is unknown" in lost.reason
    assert len(tiktok.publishes("alice")) == 1  # TikTok has it: retrying would make two


def test_a_timeout_after_acting_on_init_but_not_on_status(
    client: TikTokClient, tiktok: TikTokStandIn, token: str
) -> None:
    impatient = TikTokClient(
        client_key=KEY, client_secret=SECRET, api_url=tiktok.base_url, timeout=httpx.Timeout(0.3)
    )
    tiktok.slow_next("init", 2)
    late = caught(impatient.init_direct_post, token, PostInfo("SELF_ONLY"), chunk_plan(1000))
    assert (late.code, late.after_acting_possible, late.retryable) == ("timeout", True, True)
    publish_id = tiktok.publishes("alice")[0].publish_id
    tiktok.slow_next("status", 2)
    slow_status = caught(impatient.fetch_status, token, publish_id)
    assert (slow_status.code, slow_status.after_acting_possible) == ("timeout", False)
    impatient.close()


def test_an_unreachable_tiktok_acted_on_nothing(token: str) -> None:
    with TikTokStandIn() as gone:
        url = gone.base_url
    with TikTokClient(client_key=KEY, client_secret=SECRET, api_url=url) as client:
        error = caught(client.init_direct_post, token, PostInfo("SELF_ONLY"), chunk_plan(1000))
    assert (error.code, error.after_acting_possible, error.retryable) == ("connection_error", False, True)


def test_an_upload_broken_by_a_5xx_resumes_at_the_chunk_tiktok_lacks(
    client: TikTokClient, tiktok: TikTokStandIn, clock: ManualClock, token: str, video: Path
) -> None:
    plan = chunk_plan(video.stat().st_size, SMALL_CHUNK)
    started = client.init_direct_post(token, PostInfo("PUBLIC_TO_EVERYONE", title="resumed"), plan)
    assert started.upload_url is not None
    tiktok.server_error_next("upload", status=502, after=1)  # the first chunk goes; the second fails
    broken = caught(client.upload, started.upload_url, video, plan)
    assert broken.code == "internal_error" and broken.retryable and broken.http_status == 502
    held = client.fetch_status(token, started.publish_id).uploaded_bytes
    assert held == SMALL_CHUNK
    assert client.upload(started.upload_url, video, plan, resume_from=held) == 12_000_000
    clock.advance(5)
    assert client.fetch_status(token, started.publish_id).status == "PUBLISH_COMPLETE"
    assert len(tiktok.published("alice")) == 1


def test_upload_failures_by_status(
    client: TikTokClient, tiktok: TikTokStandIn, clock: ManualClock, token: str
) -> None:
    plan = chunk_plan(1000)
    started = client.init_direct_post(token, PostInfo("SELF_ONLY"), plan)
    assert started.upload_url is not None
    missing = caught(
        client.upload, started.upload_url.replace("upload_id=", "upload_id=0"), b"x" * 1000, plan
    )
    assert (missing.code, missing.http_status, missing.retryable) == ("upload_not_found", 404, False)
    wrong_type = caught(client.upload, started.upload_url, b"x" * 1000, plan, content_type="video/x-msvideo")
    assert (wrong_type.code, wrong_type.http_status) == ("upload_rejected", 400)
    clock.advance(3600)
    expired = caught(client.upload, started.upload_url, b"x" * 1000, plan)
    assert expired.code == "upload_url_expired" and "new init" in expired.reason
    with pytest.raises(ValueError, match="the plan says"):
        client.upload(started.upload_url, b"x" * 999, plan)


def test_a_mov_file_is_sent_as_quicktime(
    client: TikTokClient, tiktok: TikTokStandIn, token: str, tmp_path: Path
) -> None:
    path = tmp_path / "clip.mov"
    path.write_bytes(b"m" * 3000)
    plan = chunk_plan(3000)
    started = client.init_inbox_upload(token, plan)
    assert started.upload_url is not None
    client.upload(started.upload_url, path, plan)
    assert tiktok.requests_to("upload")[0].headers["content-type"] == "video/quicktime"


def test_an_inbox_draft_ends_at_send_to_user_inbox(
    client: TikTokClient, tiktok: TikTokStandIn, clock: ManualClock, token: str
) -> None:
    plan = chunk_plan(2000)
    started = client.init_inbox_upload(token, plan)
    assert started.publish_id.startswith("v_inbox_file~")
    assert "post_info" not in tiktok.requests_to("inbox_init")[0].json
    assert started.upload_url is not None
    client.upload(started.upload_url, b"d" * 2000, plan)
    clock.advance(60)
    status = client.fetch_status(token, started.publish_id)
    assert status.status == "SEND_TO_USER_INBOX" and status.final and status.public_post_ids == ()


def test_pull_from_url(client: TikTokClient, tiktok: TikTokStandIn, clock: ManualClock, token: str) -> None:
    started = client.init_direct_post(
        token, PostInfo("SELF_ONLY"), PullFromUrl("https://media.example/v.mp4")
    )
    assert (started.upload_url, started.plan) == (None, None)
    clock.advance(1)
    status = client.fetch_status(token, started.publish_id)
    assert status.status == "PROCESSING_DOWNLOAD" and status.downloaded_bytes == 2_000_000
    refused = caught(
        client.init_direct_post, token, PostInfo("SELF_ONLY"), PullFromUrl("https://cdn.example/v.mp4")
    )
    assert refused.code == "url_ownership_unverified" and "upload the file instead" in refused.reason


def test_a_failed_post_names_its_reason(
    client: TikTokClient, tiktok: TikTokStandIn, clock: ManualClock, token: str
) -> None:
    tiktok.script_next_posts(fail_reason="internal")
    plan = chunk_plan(1000)
    started = client.init_direct_post(token, PostInfo("SELF_ONLY"), plan)
    assert started.upload_url is not None
    client.upload(started.upload_url, b"x" * 1000, plan)
    clock.advance(5)
    status = client.fetch_status(token, started.publish_id)
    assert (status.status, status.fail_reason) == ("FAILED", "internal")
    assert fail_reason_words("internal") == ("TikTok failed while processing the video", True)
    assert fail_reason_words("spam_risk_text")[1] is False
    assert fail_reason_words("something_new") == ("TikTok failed the post (something_new)", False)


# --- Error mapping ------------------------------------------------------------------------------------


def test_the_unaudited_client_error_says_what_it_means(clock: ManualClock) -> None:
    with TikTokStandIn(clock=clock, audited=False) as tiktok:
        tiktok.add_account("alice")
        with TikTokClient(client_key=KEY, client_secret=SECRET, api_url=tiktok.base_url) as client:
            token = str(tiktok.issue_tokens("alice")["access_token"])
            error = caught(client.init_direct_post, token, PostInfo("SELF_ONLY"), chunk_plan(1000))
    assert error.code == "unaudited_client_can_only_post_to_private_accounts"
    assert error.reason.startswith(
        "this account is public; an unaudited app may post only to private accounts"
    )
    assert (error.http_status, error.retryable, error.after_acting_possible) == (403, False, False)


@pytest.mark.parametrize(
    ("code", "status", "retryable", "words"),
    [
        ("rate_limit_exceeded", 429, True, "rate limit"),
        ("internal_error", 500, True, "server error"),
        ("internal_error", 503, True, "server error"),
        ("spam_risk_too_many_posts", 403, False, "daily limit"),
        ("spam_risk_too_many_posts", 200, False, "daily limit"),  # reported under HTTP 200 too
        ("reached_active_user_cap", 403, False, "daily cap of accounts"),
        ("spam_risk_user_banned_from_posting", 403, False, "banned"),
        ("privacy_level_option_mismatch", 403, False, "privacy"),
        ("scope_not_authorized", 401, False, "permission"),
        ("something_new", 418, False, "TikTok refused the request"),
        ("something_new", 502, True, "TikTok refused the request"),
    ],
)
def test_api_error_codes_become_reasons(
    client: TikTokClient,
    tiktok: TikTokStandIn,
    token: str,
    code: str,
    status: int,
    retryable: bool,
    words: str,
) -> None:
    tiktok.fail_next("init", code, status=status, message="as TikTok said it")
    error = caught(client.init_direct_post, token, PostInfo("SELF_ONLY"), chunk_plan(1000))
    assert (error.code, error.http_status, error.retryable) == (code, status, retryable)
    assert words in error.reason and error.log_id and not error.after_acting_possible
    assert tiktok.publishes() == []


def test_invalid_param_carries_tiktoks_message(
    client: TikTokClient, tiktok: TikTokStandIn, token: str
) -> None:
    error = caught(client.init_direct_post, token, PostInfo("SELF_ONLY", title="😀" * 1101), chunk_plan(1000))
    assert error.code == "invalid_param" and "2200 UTF-16" in error.reason


def test_branded_content_cannot_be_self_only() -> None:
    with pytest.raises(ValueError, match="branded content"):
        PostInfo("SELF_ONLY", brand_content_toggle=True)
    with pytest.raises(ValueError, match="privacy_level"):
        PostInfo("EVERYONE")


def test_a_gateway_page_instead_of_json_is_a_retryable_server_error(clock: ManualClock) -> None:
    gateway = httpx.MockTransport(lambda request: httpx.Response(502, text="<html>Bad Gateway</html>"))
    with TikTokClient(client_key=KEY, client_secret=SECRET, transport=gateway) as client:
        error = caught(client.creator_info, "act.x")
    assert (error.code, error.retryable, error.http_status) == ("internal_error", True, 502)


def test_settings_name_the_hosts_and_credentials(tiktok: TikTokStandIn) -> None:
    with pytest.raises(SetupError, match="TIKTOK_CLIENT_KEY"):
        TikTokClient.from_settings(Settings(tiktok_client_key=None))
    settings = Settings(
        tiktok_client_key=KEY,
        tiktok_client_secret=SECRET,
        tiktok_api_url=tiktok.base_url,
        tiktok_auth_url="https://auth.example",
    )
    with TikTokClient.from_settings(settings) as client:
        assert client.authorize_url("s", redirect_uri=REDIRECT).startswith(
            "https://auth.example/v2/auth/authorize/"
        )
        assert client.api_url == tiktok.base_url


# --- Display ------------------------------------------------------------------------------------------


def test_list_videos_pages_through_the_accounts_public_videos(
    client: TikTokClient, tiktok: TikTokStandIn, clock: ManualClock, token: str
) -> None:
    for index in range(23):
        tiktok.add_video(
            "alice", f"clip {index}", video_id=f"7{index:018d}", public_since=clock() - 100 + index
        )
    first = client.list_videos(token)
    assert len(first.videos) == 20 and first.has_more
    second = client.list_videos(token, cursor=first.cursor)
    assert [v.title for v in second.videos] == ["clip 2", "clip 1", "clip 0"] and not second.has_more
    assert first.videos[0].share_url == f"https://www.tiktok.com/@alice.toys/video/{first.videos[0].id}"
    assert first.videos[0].create_time == datetime.fromtimestamp(int(clock() - 78), UTC)


def test_query_videos_reads_counts_that_change_and_one_that_stays_at_zero(
    client: TikTokClient, tiktok: TikTokStandIn, clock: ManualClock
) -> None:
    tiktok.add_video(
        "alice", "hit", video_id="7000000000000000001", series=steps([(600, Counts(900, 90, 9, 3))])
    )
    tiktok.add_video("alice", "dud", video_id="7000000000000000002", series=zero())
    ids = ["7000000000000000001", "7000000000000000002", "7999999999999999999"]
    clock.advance(900)
    token = str(tiktok.issue_tokens("alice")["access_token"])
    videos = {v.id: v for v in client.query_videos(token, ids)}
    assert set(videos) == {"7000000000000000001", "7000000000000000002"}
    hit = videos["7000000000000000001"]
    assert (hit.view_count, hit.like_count, hit.comment_count, hit.share_count) == (900, 90, 9, 3)
    assert videos["7000000000000000002"].view_count == 0
    with pytest.raises(ValueError, match="1 to 20"):
        client.query_videos(token, [str(i) for i in range(21)])


# --- Pacing against TikTok's limits ------------------------------------------------------------------


def test_paced_inits_wait_for_the_window_instead_of_meeting_a_429(
    client: TikTokClient, tiktok: TikTokStandIn, clock: ManualClock, redis_conn: redis.Redis
) -> None:
    tiktok.access_lifetime = 86_400
    token = str(tiktok.issue_tokens("alice")["access_token"])
    pacer = Pacer(redis_conn, clock=clock, sleep=clock.advance)
    started = clock()
    for _ in range(13):
        pacer.acquire(
            pace_key("init", token), limit=RATE_LIMITS["init"], per_seconds=60, deadline=clock() + 300
        )
        client.init_direct_post(token, PostInfo("SELF_ONLY"), chunk_plan(1000))
    assert len(tiktok.publishes("alice")) == 13  # no 429 on the way
    assert clock() - started == pytest.approx(120)  # two full windows were waited out
    assert token not in str(redis_conn.keys("*"))


@pytest.mark.parametrize(
    ("code", "retryable", "reconnect"),
    [
        ("server_error", True, False),
        ("temporarily_unavailable", True, False),
        ("invalid_grant", False, True),
        ("unsupported_grant_type", False, False),
        ("something_new", False, False),
    ],
)
def test_oauth_error_categories(
    client: TikTokClient, tiktok: TikTokStandIn, code: str, retryable: bool, reconnect: bool
) -> None:
    tiktok.fail_next("token", code, status=400, message="as TikTok said it")
    error = caught(client.refresh, "rft.any")
    assert (error.code, error.retryable, error.needs_reconnect) == (code, retryable, reconnect)
    assert error.message == "as TikTok said it" and error.log_id


def test_status_of_a_wrong_or_foreign_publish_id(
    client: TikTokClient, tiktok: TikTokStandIn, token: str
) -> None:
    unknown = caught(client.fetch_status, token, "v_pub_file~v2-1.1")
    assert unknown.code == "invalid_publish_id" and not unknown.retryable
    started = client.init_direct_post(token, PostInfo("SELF_ONLY"), chunk_plan(1000))
    foreign = caught(client.fetch_status, str(tiktok.issue_tokens("bob")["access_token"]), started.publish_id)
    assert (
        foreign.code == "token_not_authorized_for_specified_publish_id"
        and "another TikTok account" in foreign.reason
    )
