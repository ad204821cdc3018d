"""Development channel: records what would have been pushed, and calls it sent."""

import logging
import uuid

from . import Outcome, PushMessage, PushResult

logger = logging.getLogger("notifications.push")


class LogChannel:
    name = "log"

    def send(self, messages: list[PushMessage]) -> list[PushResult]:
        results = []
        for message in messages:
            logger.info(
                "push (log channel) to %s… [%s] %s — %s %s",
                message.token[:12],
                message.platform,
                message.title,
                message.body,
                message.data,
            )
            results.append(
                PushResult(message.delivery_id, Outcome.SENT, message_id=f"log:{uuid.uuid4()}")
            )
        return results
