"""What Stripe told us about payments that the sales themselves do not hold (payout-rules-3.md rule 21)."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class StripeReference(Model):
    """One fact linking two Stripe ids, by `kind`:

    - `invoice_payment`: PaymentIntent `key` paid invoice `target` (`invoice_payment.paid`), so a
      refund or dispute of that PaymentIntent reaches the invoice's sale;
    - `checkout_invoice`: invoice `key` was created for checkout PaymentIntent `target`
      (`invoice_creation`), so its `invoice.paid` books nothing more;
    - `ignored`: a sale event for payment `key` (a PaymentIntent or invoice id) was recorded IGNORED
      by event `target`, so refunds and disputes of it are acknowledged, not retried for ever;
    - `purchase`: invoice `key` was claimed by a checkout or its `invoice.paid` (`target` empty): the
      unique row makes the two wait for each other when delivered at once.
    """

    id = fields.IntField(primary_key=True)
    kind = fields.CharField(max_length=20)
    key = fields.CharField(max_length=255)
    target = fields.CharField(max_length=255)
    created_at = fields.DatetimeField()

    class Meta:
        table = "stripe_references"
        unique_together = (("kind", "key", "target"),)
        indexes = (("kind", "target"),)  # a checkout's invoice, found from its PaymentIntent
