"""Action groups: who is told when an alert fires or resolves (Azure's ``ActionGroupResource``).

Private to :mod:`mlcheckup.alerts`; the public names are re-exported there. Above
``_vocabulary`` only: rules hold action groups, and notifications are delivered to them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..errors import ValidationError

_WEBHOOK = re.compile(r"^https?://[^\s/]+(/\S*)?$")


@dataclass(frozen=True)
class ActionGroup:
    """Who is told when an alert fires or resolves: here, webhooks (Azure's ``ActionGroupResource``).

    Parameters
    ----------
    name : str
        The action group's name.
    webhooks : sequence of str
        URLs that receive every notification as a POST in the common alert schema.
    short_name : str, optional
        At most 12 characters, shown in SMS and e-mail; the first 12 of ``name`` by default.

    Examples
    --------
    >>> ActionGroup("oncall", webhooks=["http://127.0.0.1:8080/alerts"]).short_name
    'oncall'

    Taught in lesson 05, §5.
    """

    name: str
    webhooks: tuple = ()
    short_name: str | None = None

    def __post_init__(self) -> None:
        hooks = (self.webhooks,) if isinstance(self.webhooks, str) else tuple(self.webhooks)
        bad = [hook for hook in hooks if not isinstance(hook, str) or not _WEBHOOK.match(hook)]
        if bad:
            raise ValidationError(f"webhooks must be http(s) URLs (got {bad[0]!r}); pass receiver.url of a "
                                  "WebhookReceiver, or your service's URL in Azure")
        if not isinstance(self.name, str) or not self.name.strip():
            raise ValidationError(f"name must be a non-empty text (got {self.name!r})")
        short = self.short_name or self.name[:12]
        if len(short) > 12:
            raise ValidationError(f"short_name must be at most 12 characters (got {short!r}, {len(short)})")
        object.__setattr__(self, "webhooks", hooks)
        object.__setattr__(self, "short_name", short)

    def resource_id(self, subscription_id: str, resource_group: str) -> str:
        """This group's Azure resource id in a subscription and resource group."""
        return (f"/subscriptions/{subscription_id}/resourceGroups/{resource_group}/providers/"
                f"microsoft.insights/actionGroups/{self.name}")

    def to_azure(self):
        """The ``ActionGroupResource`` with one common-schema webhook receiver per URL (offline)."""
        return action_group_resource(self)


def action_group_resource(group):
    """The ``ActionGroupResource`` of an :class:`ActionGroup` (see :meth:`ActionGroup.to_azure`)."""
    from azure.mgmt.monitor import models

    receivers = [models.WebhookReceiver(name=f"webhook{i}", service_uri=url, use_common_alert_schema=True)
                 for i, url in enumerate(group.webhooks, start=1)]
    return models.ActionGroupResource(location="Global", group_short_name=group.short_name, enabled=True,
                                      webhook_receivers=receivers)
