"""The delivery outbox: claim due deliveries, push them, record what happened.

Deliveries are written with the inbox row in the caller's transaction and a task is
scheduled on commit with their ids; the periodic sweep re-schedules anything left due
(a broker outage, a killed worker). A delivery is claimed before it is sent (a lease),
so a task that runs twice, or the sweep racing a task, sends once per device.
"""

from __future__ import annotations

import logging
import random
import threading
import time
import uuid
from collections import Counter
from collections.abc import Sequence
from datetime import timedelta

from django.conf import settings
from django.db import DatabaseError, InterfaceError, OperationalError, connection, transaction
from django.db.models import Count, F, Q

from services.core import clock

from . import devices, outbox
from .channels import Outcome, PushMessage, PushResult, get_channel
from .models import Delivery, Device, Notification

logger = logging.getLogger("notifications.push")

BATCH = outbox.BATCH
# E-mail claims (notifications/email.py): no heartbeat there, so a long lease.
LEASE = timedelta(minutes=5)
# A push claim is short and renewed while its worker is alive (a heartbeat while the
# pushes are on the wire and their outcomes recorded, and before each sub-batch): a
# killed worker's deliveries are retaken by the sweep within CLAIM_LEASE + the sweep's
# period, not minutes later.
CLAIM_LEASE = timedelta(seconds=20)
# Pushes go out SEND_BATCH at a time, each sub-batch recorded before the next is sent, so
# a worker killed mid-batch leaves at most one sub-batch sent but not recorded.
SEND_BATCH = 100
# Recording an outcome that fails on a lost database connection is retried with backoff
# (capped at RECORD_RETRY_MAX_SECONDS) while our claim still holds: giving up earlier would
# get pushes that went out sent again by whoever retakes them.
RECORD_RETRY_FIRST_SECONDS = 0.2
RECORD_RETRY_MAX_SECONDS = 3.0
# The last recording attempt starts at least this long (at most a quarter of the lease)
# before our claim may end: one still running when another worker retakes the row would
# have its push sent twice.
RECORD_MARGIN_SECONDS = 1.0
# A push whose device row is locked by a registration (device_register holds it for a few
# milliseconds) is tried again in the same task after these pauses before it is given back:
# given back, it waits for the sweep (up to 10 s) and then for its task behind every queued
# push batch (the chaos benchmark's last delivery after an FCM outage, 10 s after the rest).
DEFERRED_RETRY_PAUSES = (0.2, 0.5)
RETRY_BASE_SECONDS = 10.0
RETRY_MAX_SECONDS = 3600.0
# "Most of the batch fails the same way": past this share (and this size) a token error is
# our configuration (wrong project, wrong sender), not the devices': alert, keep them.
MISCONFIGURATION_SHARE = 0.5
MISCONFIGURATION_MIN_BATCH = 10
# Retry codes that mean FCM (or the way to it) was down, not "you send too much" (quota):
# once a push that met one of these goes out, FCM is back, and every delivery still
# waiting out its backoff from the outage is due at once (see _resume_after_outage).
OUTAGE_ERROR_CODES = ("unavailable", "internal", "deadlineexceeded", "unknown")


# What sending and recording read: a claimed batch of 500 loads nothing else.
CLAIMED_FIELDS = (
    "claim_token",
    "notification_id",
    "device_id",
    "attempts",
    "next_attempt_at",
    "expires_at",
    "error_code",
    *(
        f"notification__{name}"
        for name in (
            "public_id",
            "recipient_id",
            "kind",
            "category",
            "title",
            "body",
            "link_type",
            "link_id",
            "data",
        )
    ),
    "device__identifier",
    "device__platform",
    "device__kind",
)


# The sweep hands a due delivery over (queues a task with its id) at most once in this
# long: behind a backlog of queued pushes that task may wait minutes, and handing the same
# rows over again every sweep would fill the queue with copies (the chaos benchmark saw
# 50,000 ids handed over every 10 s). A handed-over row is marked with claimed_until and no
# claim token; the task that takes it claims it as usual; lost (its task with a worker
# killed before it started, or Redis lost it), it is due for the sweep again after this.
HANDED_OVER_HOLD = timedelta(seconds=30)


def _due(now):
    """Due, and nobody holds it or was handed it lately: what the sweep hands over."""
    return Q(status=Delivery.Status.PENDING, next_attempt_at__lte=now) & (
        Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)
    )


def _claimable(now):
    """What a task may claim: due and unclaimed, or handed over by the sweep (no token)."""
    return Q(status=Delivery.Status.PENDING, next_attempt_at__lte=now) & (
        Q(claimed_until__isnull=True) | Q(claimed_until__lt=now) | Q(claim_token__isnull=True)
    )


def claim_lease() -> timedelta:
    seconds = getattr(settings, "NOTIFICATIONS_CLAIM_LEASE_SECONDS", None)
    return timedelta(seconds=seconds) if seconds else CLAIM_LEASE


def claim(delivery_ids: Sequence[int]) -> list[Delivery]:
    """THE place deliveries are locked: returns the rows this caller now owns (all with
    one claim token, for renew()).

    PostgreSQL: SELECT … FOR UPDATE SKIP LOCKED, so concurrent claimers never wait on
    each other and never take the same row. SQLite has no row locks: a conditional UPDATE
    that only matches unclaimed rows, tagged with our token, does the same.
    """
    now = clock.now()
    token = uuid.uuid4()
    with transaction.atomic():
        candidates = Delivery.objects.filter(_claimable(now), pk__in=delivery_ids)
        if connection.features.has_select_for_update_skip_locked:
            ids = list(
                candidates.select_for_update(skip_locked=True)
                .order_by("pk")
                .values_list("pk", flat=True)
            )
            candidates = Delivery.objects.filter(pk__in=ids)
        candidates.update(
            claim_token=token,
            claimed_until=now + claim_lease(),
            attempts=F("attempts") + 1,
            updated_at=now,
        )
        # Read in the same transaction: a connection lost here undoes the claim, which the
        # caller then makes again; committed alone, its rows waited for the lease and a
        # sweep (500 for 20 s in the chaos benchmark's database cut).
        return list(
            Delivery.objects.filter(claim_token=token, status=Delivery.Status.PENDING)
            .select_related("notification", "device")
            .only(*CLAIMED_FIELDS)
            .order_by("pk")
        )


def _badges(user_ids: set[int]) -> dict[int, int]:
    rows = (
        Notification.objects.filter(recipient_id__in=user_ids, in_inbox=True, read_at__isnull=True)
        .values("recipient_id")
        .annotate(n=Count("id"))
        .values_list("recipient_id", "n")
    )
    return dict(rows)


def _message(delivery: Delivery, badge: int | None) -> PushMessage:
    n = delivery.notification
    data = {
        **{str(k): str(v) for k, v in (n.data or {}).items()},
        "notification_id": str(n.public_id),
        "kind": n.kind,
        "category": n.category,
    }
    if n.link_type:
        data["link_type"] = n.link_type
    if n.link_id:
        data["link_id"] = n.link_id
    ttl = max(1, int((delivery.expires_at - clock.now()).total_seconds()))
    return PushMessage(
        delivery_id=delivery.pk,
        token=delivery.device.identifier,
        platform=delivery.device.platform,
        title=n.title,
        body=n.body,
        data=data,
        category=n.category,
        collapse_key=f"{n.kind}:{n.link_id}" if n.link_id else n.kind,
        ttl_seconds=ttl,
        badge=badge,
        identifier_kind=delivery.device.kind,
    )


def _lock_owners(device_ids: set[int]) -> dict[int, tuple[int, bool]]:
    """{device id: (user id, is active)}, read under a share lock held until the caller's
    transaction ends, so no device changes hands while its pushes are on the wire.

    PostgreSQL: FOR SHARE SKIP LOCKED. A device being registered right now (held FOR
    UPDATE by device_register, perhaps moving it to another user) is left out: its
    deliveries wait for the next sweep, when the move has either happened (they are
    skipped) or not. Never waiting here means no lock cycle with device_register. SQLite
    has no row locks: a fresh read just before the send.
    """
    if not device_ids:
        return {}
    ids = sorted(device_ids)
    table = connection.ops.quote_name(Device._meta.db_table)
    placeholders = ", ".join(["%s"] * len(ids))
    sql = f"SELECT id, user_id, is_active FROM {table} WHERE id IN ({placeholders})"  # noqa: S608
    if connection.vendor == "postgresql":
        sql += " ORDER BY id FOR SHARE SKIP LOCKED"
    with connection.cursor() as cursor:
        cursor.execute(sql, ids)
        return {row[0]: (row[1], bool(row[2])) for row in cursor.fetchall()}


def _release(ids: Sequence[int]) -> None:
    """Give back claims that were not attempted: due again at once, for the sweep."""
    Delivery.objects.filter(pk__in=ids, status=Delivery.Status.PENDING).update(
        claimed_until=None, claim_token=None, attempts=F("attempts") - 1, updated_at=clock.now()
    )


def renew(token: uuid.UUID, delivery_ids: Sequence[int] | None = None) -> list[int]:
    """Extend our claim on rows still pending under our token; returns the ids still ours.

    A row re-claimed by another worker (our lease ran out: this worker was stalled) has
    another token and is not ours any more: it is left out, and must not be sent. A row
    already recorded (a retry rescheduled keeps our token, claimed_until cleared) is not
    held again: the heartbeat runs while outcomes are recorded."""
    held = Q(claim_token=token, status=Delivery.Status.PENDING, claimed_until__isnull=False)
    rows = Delivery.objects.filter(held)
    if delivery_ids is not None:
        rows = rows.filter(pk__in=delivery_ids)
    ids = list(rows.values_list("pk", flat=True))
    if ids:
        Delivery.objects.filter(held, pk__in=ids).update(claimed_until=clock.now() + claim_lease())
    return ids


class Heartbeat:
    """Renews a claim every third of the lease from its own thread (and its own database
    connection) while the pushes of a sub-batch are on the wire, however slow FCM is, and
    while their outcomes are recorded (retried on a lost connection). Work that finishes
    sooner than a third of the lease (the usual case) never touches it.

    `held_until` (time.monotonic()): our claim holds at least until then, the last claim
    or renewal that succeeded (the moment it was asked) + the lease."""

    def __init__(self, token: uuid.UUID, held_until: float) -> None:
        self.token = token
        self.held_until = held_until
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="claim-heartbeat", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()

    def _run(self) -> None:
        from django.db import connections

        lease = claim_lease().total_seconds()
        try:
            while not self._stop.wait(lease / 3):
                asked = time.monotonic()
                try:
                    renew(self.token)
                except DatabaseError:  # the database is cut: nobody else can claim either
                    logger.warning("claim heartbeat failed; retrying", exc_info=True)
                    connections["default"].close()
                else:
                    self.held_until = asked + lease
        finally:
            connections.close_all()


def with_database_retry(work, *, until, what: str = "recording push outcomes"):
    """Run `work`, again after a lost connection (backoff, capped) until `until` (a
    time.monotonic() deadline, or a function returning it, asked after each failure): the
    work goes on within ~RECORD_RETRY_MAX_SECONDS of the database answering again, not a
    lease and a sweep later. Inside a transaction nothing can be retried: re-raised."""
    delay = RECORD_RETRY_FIRST_SECONDS
    while True:
        try:
            return work()
        except (OperationalError, InterfaceError):
            deadline = until() if callable(until) else until
            if connection.in_atomic_block or time.monotonic() + delay > deadline:
                raise
            logger.warning("%s failed on the database; retrying in %.1f s", what, delay)
            connection.close()  # dropped: the next query reconnects
            time.sleep(delay)
            delay = min(RECORD_RETRY_MAX_SECONDS, delay * 2)


class _Unsent(Exception):
    """The database failed before a sub-batch's pushes went out: safe to try again."""


class _Unrecorded(Exception):
    """The pushes went out, their outcomes could not be recorded: never to be sent again
    by this call."""


def deliver(
    delivery_ids: Sequence[int], *, channel=None, given_back: list[int] | None = None
) -> dict[str, int]:
    """Claim, push, record. Safe to run twice: only claimed rows are sent. Returns counts
    by outcome (for logs and the benchmark); the ids given back (device row locked) are
    added to `given_back`.

    The claimed rows go out SEND_BATCH at a time: before each sub-batch the claim is
    renewed and only the rows still ours are sent; after it, the outcomes are recorded
    (retried on a lost connection while the claim holds). The devices' owners are checked
    under a share lock that is held while the pushes are on the wire (see _lock_owners): a
    device moved to another user meanwhile never gets the previous user's push. Nothing
    is written while that lock is held. A push whose device is being registered right now
    is tried again after DEFERRED_RETRY_PAUSES, then given back to the sweep."""
    lease = claim_lease().total_seconds()
    held_until = time.monotonic() + lease  # a claim made now holds at least this long
    claimed = with_database_retry(
        lambda: claim(delivery_ids), until=held_until, what="claiming deliveries"
    )
    if not claimed:
        return {}
    token = claimed[0].claim_token
    counts: Counter = Counter()
    deferred: list[Delivery] = []  # still claimed by us, their device row was locked

    def send(part: list[Delivery], renewed: list[bool]) -> dict[str, int]:
        def send_part() -> dict[str, int]:
            # A lost connection before the pushes go out (renewing, the owners' share
            # lock) is waited out while our claim holds, then the sub-batch goes on: no
            # lease to lapse, no sweep to wait for. After they went out, _deliver_claimed
            # records with its own retries and is never run twice.
            nonlocal held_until
            rows = part
            if not renewed[0]:
                asked = time.monotonic()
                ours = set(renew(token, [d.pk for d in rows]))
                held_until, renewed[0] = asked + lease, True
                rows = [d for d in rows if d.pk in ours]
            if not rows:
                return {}
            try:
                return _deliver_claimed(rows, token, channel, deferred, held_until)
            except _Unsent as unsent:
                renewed[0] = False
                raise unsent.__cause__ from None

        try:
            return with_database_retry(send_part, until=held_until, what="sending pushes")
        except _Unrecorded as unrecorded:  # not retried above: they went out
            raise unrecorded.__cause__ from None

    for start in range(0, len(claimed), _send_batch()):
        # the first sub-batch was claimed just now; the others are renewed first
        counts.update(send(claimed[start : start + _send_batch()], [start == 0]))
    for pause in DEFERRED_RETRY_PAUSES:
        if not deferred:
            break
        time.sleep(pause)
        again, deferred[:] = list(deferred), []
        counts.update(send(again, [False]))
    if deferred:  # still locked: due again at once, for the sweep
        ids = [d.pk for d in deferred]
        with_database_retry(lambda: _release(ids), until=held_until, what="giving back")
        if given_back is not None:
            given_back.extend(ids)
        counts["deferred"] = len(ids)
    return dict(counts)


def deliver_due(*, seconds: float, channel=None) -> dict[str, int]:
    """What a push task does after its own batch, for up to `seconds`: claim and push the
    oldest claimable deliveries (due, unheld or handed over) a batch at a time, so work
    whose backoff ended, given back, or handed over behind a queue goes out now instead of
    at the next sweep (every 10 s) or its queued task (issue 16: after the FCM outage the
    last ~650 deliveries waited 9 s so). The same claim as deliver(): a task queued for
    rows taken here finds nothing to claim. Counts by outcome."""
    until = time.monotonic() + seconds
    counts: Counter = Counter()
    # Given back here (device row locked): not taken again by this loop, which would only
    # claim and give back the same rows after DEFERRED_RETRY_PAUSES each time.
    given_back: list[int] = []
    while time.monotonic() < until:
        try:
            ids = claimable_ids(excluding=given_back)
        except DatabaseError:  # the sweep is there for that
            logger.warning("could not look for due deliveries", exc_info=True)
            connection.close()
            break
        done = deliver(ids, channel=channel, given_back=given_back) if ids else {}
        if not done:  # nothing due, or all of it taken by others meanwhile
            break
        counts.update(done)
    return dict(counts)


def claimable_ids(*, limit: int = BATCH, excluding: Sequence[int] = ()) -> list[int]:
    """The oldest deliveries a task may claim now (see _claimable)."""
    rows = Delivery.objects.filter(_claimable(clock.now()))
    if excluding:
        rows = rows.exclude(pk__in=excluding)
    return list(rows.order_by("next_attempt_at", "pk").values_list("pk", flat=True)[:limit])


def _send_batch() -> int:
    return getattr(settings, "NOTIFICATIONS_SEND_BATCH", SEND_BATCH)


def _deliver_claimed(
    claimed: Sequence[Delivery],
    token: uuid.UUID,
    channel,
    deferred_out: list[Delivery],
    held_until: float,
) -> dict[str, int]:
    """Send and record one sub-batch; the rows whose device row is locked right now are
    left claimed and added to `deferred_out`, for the caller to try again or give back.
    `held_until`: see Heartbeat (the claim just made, or renewed just before)."""
    heartbeat = Heartbeat(token, held_until)
    try:
        return _send_and_record(claimed, channel, deferred_out, heartbeat)
    finally:
        heartbeat.stop()


def _send_and_record(
    claimed: Sequence[Delivery], channel, deferred_out: list[Delivery], heartbeat: Heartbeat
) -> dict[str, int]:
    now = clock.now()
    sendable, skipped, expired, deferred = [], [], [], []
    results: list[PushResult] | None = None
    lease = claim_lease().total_seconds()
    # Recording is retried for at most a lease after the pushes went out, and only while
    # our claim holds (the heartbeat renews it meanwhile; a retake before the outcomes are
    # recorded sends the pushes again), with a margin for the attempt itself.
    give_up = time.monotonic() + lease
    margin = min(RECORD_MARGIN_SECONDS, lease / 4)
    try:
        with transaction.atomic():
            owners = _lock_owners({d.device_id for d in claimed})
            for d in claimed:
                owner = owners.get(d.device_id)
                if owner is None:  # being registered right now: decide after that
                    deferred.append(d)
                elif not owner[1] or owner[0] != d.notification.recipient_id:
                    skipped.append(d.pk)
                elif d.expires_at <= now:
                    expired.append(d.pk)
                else:
                    sendable.append(d)
            if sendable:
                badges = _badges({d.notification.recipient_id for d in sendable})
                messages = [
                    _message(d, badges.get(d.notification.recipient_id, 0)) for d in sendable
                ]
                # Kept running until the outcomes are recorded (or given up on).
                heartbeat.start()
                results = (channel or get_channel()).send(messages)
                give_up = time.monotonic() + lease
    except DatabaseError as error:
        if results is None and isinstance(error, OperationalError | InterfaceError):
            raise _Unsent from error  # nothing went out: deliver() may try again
        # The pushes went out and only the end of the read-only share-lock transaction
        # failed (the connection was cut): their outcomes must still be recorded.
        if results is None or connection.in_atomic_block:
            raise
        connection.close()

    def record_all() -> dict[str, int]:
        if expired:
            _finish(
                expired,
                status=Delivery.Status.FAILED,
                error_code="expired",
                error="TTL passed before it could be sent",
            )
        if skipped:
            _finish(skipped, status=Delivery.Status.SKIPPED)
        counts = {
            name: len(ids) for name, ids in (("skipped", skipped), ("expired", expired)) if ids
        }
        if sendable:
            counts.update(record(sendable, results))
        return counts

    try:
        counts = with_database_retry(
            record_all, until=lambda: min(give_up, heartbeat.held_until - margin)
        )
    except (OperationalError, InterfaceError) as error:
        if results is not None:
            # Left claimed: retaken (and sent again) once our claim ends, after this.
            logger.error("%d pushes went out but could not be recorded", len(sendable))
            raise _Unrecorded from error
        raise
    deferred_out.extend(deferred)
    return counts


def record(deliveries: Sequence[Delivery], results: Sequence[PushResult]) -> dict[str, int]:
    by_id = {d.pk: d for d in deliveries}
    counts = Counter(r.outcome for r in results)
    token_errors = counts[Outcome.INVALID_TOKEN] + counts[Outcome.SENDER_MISMATCH]
    misconfigured = bool(token_errors) and _our_configuration(token_errors, len(results))
    if misconfigured:
        logger.critical(
            "FCM rejected %s of %s tokens in one batch (%s): this is our Firebase "
            "configuration (project, sender, credentials), not the devices; devices kept",
            token_errors,
            len(results),
            dict(counts),
        )
    now = clock.now()
    sent = [r for r in results if r.outcome == Outcome.SENT]
    retry_ids: list[int] = []
    dead: dict[int, tuple[str, str]] = {}  # device id: (reason, error)
    our_errors: dict[int, str] = {}  # device id: error (the device is fine)
    # The outcomes first, in one transaction that touches only this batch's claimed rows;
    # the devices after it, one per transaction in id order (see _update_devices).
    with transaction.atomic():
        if sent:
            _mark_sent([(r.delivery_id, r.message_id[:200]) for r in sent], now)
        for r in results:
            d = by_id[r.delivery_id]
            if r.outcome == Outcome.SENT:
                continue
            if r.outcome in (Outcome.UNREGISTERED, Outcome.INVALID_TOKEN, Outcome.SENDER_MISMATCH):
                _finish(
                    [d.pk], status=Delivery.Status.FAILED, error_code=r.error_code, error=r.error
                )
                if r.outcome == Outcome.UNREGISTERED or not misconfigured:
                    reason = {
                        Outcome.UNREGISTERED: Device.Reason.UNREGISTERED,
                        Outcome.INVALID_TOKEN: Device.Reason.INVALID_TOKEN,
                        Outcome.SENDER_MISMATCH: Device.Reason.SENDER_MISMATCH,
                    }[r.outcome]
                    dead[d.device_id] = (reason, r.error)
            elif r.outcome == Outcome.RETRY:
                if _reschedule(d, r, now):
                    retry_ids.append(d.pk)
            else:  # our payload or our APNs/web credentials: the device is fine
                logger.error("push failed on our side (%s): %s", r.error_code, r.error)
                _finish(
                    [d.pk], status=Delivery.Status.FAILED, error_code=r.error_code, error=r.error
                )
                our_errors[d.device_id] = r.error
    _update_devices(dead, our_errors)
    if retry_ids:
        _schedule_retry(retry_ids, by_id)
    if any(by_id[r.delivery_id].error_code in OUTAGE_ERROR_CODES for r in sent):
        _resume_after_outage()
    return dict(counts)


def _resume_after_outage() -> list[int]:
    """FCM answers again: the deliveries waiting out a backoff from its outage are due now
    and handed to the workers, instead of each waiting for the rest of its own delay (up to
    RETRY_MAX_SECONDS after an outage of minutes). Claimed rows are left to their holder;
    quota errors keep their delay. Returns the ids made due.

    Only a success that follows an outage error calls this, so it runs once or a few times
    per outage (a concurrent call finds nothing left to move); failing, it changes
    nothing: the backoff stands."""
    now = clock.now()
    waiting = Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)
    moved: list[int] = []
    try:
        ids = list(
            Delivery.objects.filter(
                waiting,
                status=Delivery.Status.PENDING,
                next_attempt_at__gt=now,
                error_code__in=OUTAGE_ERROR_CODES,
            )
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        for chunk in outbox.chunks(ids):
            # Due now, and handed over like the sweep's (not handed again by the next one).
            # Only the rows this call moved get a task: the batches that see FCM answer at
            # the same moment each queued the whole backlog (six of them, 15,000 ids each).
            with transaction.atomic():
                rows = Delivery.objects.filter(waiting, pk__in=chunk, next_attempt_at__gt=now)
                if connection.features.has_select_for_update_skip_locked:
                    rows = Delivery.objects.filter(
                        pk__in=list(
                            rows.select_for_update(skip_locked=True).values_list("pk", flat=True)
                        )
                    )
                mine = sorted(rows.values_list("pk", flat=True))
                Delivery.objects.filter(pk__in=mine).update(
                    next_attempt_at=now,
                    claimed_until=now + HANDED_OVER_HOLD,
                    claim_token=None,
                    updated_at=now,
                )
            if mine:
                outbox.deliveries_send(mine)
                moved.extend(mine)
    except DatabaseError:
        logger.warning("could not bring retries forward after an FCM outage", exc_info=True)
    if moved:
        logger.info("FCM answers again: %d deliveries waiting after its outage are due", len(moved))
    return moved


def _update_devices(dead: dict[int, tuple[str, str]], our_errors: dict[int, str]) -> None:
    """Deactivate dead devices (and skip their other pending deliveries), note our errors.

    One device per transaction, in id order, after the outcomes are committed: two workers
    that meet the same uninstalled phones in two batches never hold locks in crossing
    orders (a deadlock would roll an outcome back, and the batch's sent pushes would go
    out again after the lease)."""
    for device_id in sorted(dead):
        reason, error = dead[device_id]
        _deactivate_device(device_id, reason=reason, error=error)
    for device_id in sorted(our_errors):
        Device.objects.filter(pk=device_id).update(last_error=our_errors[device_id][:1000])


TOKEN_ERROR_CODES = ("invalid_token", "sender_id_mismatch")
MISCONFIGURATION_WINDOW = timedelta(minutes=15)
MISCONFIGURATION_LOOKBACK = 100  # finished deliveries


def _our_configuration(token_errors: int, total: int) -> bool:
    """Most of the batch rejected as bad tokens: our Firebase project, not the devices.

    Most pushes go to one person's one or two phones, so a small batch is judged with the
    latest finished deliveries (the last MISCONFIGURATION_LOOKBACK, within the window):
    otherwise a wrong project would deactivate everybody's devices a few at a time."""
    if total < MISCONFIGURATION_MIN_BATCH:
        since = clock.now() - MISCONFIGURATION_WINDOW
        recent = (
            Delivery.objects.filter(status__in=[Delivery.Status.SENT, Delivery.Status.FAILED])
            .order_by("-pk")
            .values_list("error_code", "updated_at")[:MISCONFIGURATION_LOOKBACK]
        )
        for error_code, updated_at in recent:
            if updated_at >= since:
                total += 1
                token_errors += error_code in TOKEN_ERROR_CODES
    return total >= MISCONFIGURATION_MIN_BATCH and token_errors > MISCONFIGURATION_SHARE * total


def _mark_sent(pairs: list[tuple[int, str]], now) -> None:
    """Sent, with each delivery's FCM message id: one UPDATE … FROM (VALUES …) per batch
    (bulk_update's CASE WHEN costs seconds per 500 rows in Python, and a second UPDATE for
    the ids would write every row twice). VALUES columns are column1,
    column2 on both PostgreSQL and SQLite."""
    table = connection.ops.quote_name(Delivery._meta.db_table)
    at = connection.ops.adapt_datetimefield_value(now)
    for start in range(0, len(pairs), BATCH):
        chunk = pairs[start : start + BATCH]
        rows = ", ".join(["(%s, %s)"] * len(chunk))
        params = [value for pair in chunk for value in pair]
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} SET status = %s, sent_at = %s, updated_at = %s, "  # noqa: S608
                "claimed_until = NULL, error_code = '', last_error = '', "
                f"message_id = v.column2 FROM (VALUES {rows}) AS v "
                f"WHERE {table}.id = v.column1",
                [Delivery.Status.SENT, at, at, *params],
            )


def _finish(ids: Sequence[int], *, status: str, error_code: str = "", error: str = "") -> None:
    Delivery.objects.filter(pk__in=ids).update(
        status=status,
        claimed_until=None,
        error_code=error_code,
        last_error=error[:1000],
        updated_at=clock.now(),
    )


def _deactivate_device(device_id: int, *, reason: str, error: str) -> None:
    with transaction.atomic():
        devices.devices_deactivate(device_ids=[device_id], reason=reason, error=error[:1000])


def backoff_seconds(attempts: int, retry_after: float | None = None) -> float:
    """Exponential backoff with full jitter over the upper half; never sooner than
    Retry-After."""
    base = getattr(settings, "NOTIFICATIONS_RETRY_BASE_SECONDS", RETRY_BASE_SECONDS)
    ceiling = min(RETRY_MAX_SECONDS, base * 2 ** max(0, attempts - 1))
    delay = random.uniform(ceiling / 2, ceiling)
    return max(delay, retry_after or 0.0)


def _reschedule(d: Delivery, result: PushResult, now) -> bool:
    """Pending again at a later time; False (failed) when that is past the TTL."""
    delay = backoff_seconds(d.attempts, result.retry_after)
    when = now + timedelta(seconds=delay)
    if when >= d.expires_at:
        _finish(
            [d.pk],
            status=Delivery.Status.FAILED,
            error_code="gave_up",
            error=f"{result.error_code}: {result.error}",
        )
        return False
    Delivery.objects.filter(pk=d.pk).update(
        status=Delivery.Status.PENDING,
        next_attempt_at=when,
        claimed_until=None,
        error_code=result.error_code,
        last_error=result.error[:1000],
        updated_at=now,
    )
    d.next_attempt_at = when
    return True


def _schedule_retry(ids: list[int], by_id: dict[int, Delivery]) -> None:
    countdown = max(0.0, (max(by_id[i].next_attempt_at for i in ids) - clock.now()).total_seconds())
    outbox.deliveries_send(ids, countdown=countdown)


def mark_handed_over(delivery_ids: Sequence[int]) -> None:
    """The sweep is about to queue a task with these ids: not again for HANDED_OVER_HOLD.
    Rows a worker claimed meanwhile keep their claim."""
    now = clock.now()
    Delivery.objects.filter(_due(now), pk__in=delivery_ids).update(
        claimed_until=now + HANDED_OVER_HOLD, claim_token=None
    )


def due_delivery_ids(*, limit: int = 50_000) -> list[int]:
    now = clock.now()
    return list(
        Delivery.objects.filter(_due(now))
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
