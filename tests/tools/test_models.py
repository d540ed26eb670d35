"""Bad input to the domain model raises a clear validation error naming the problem."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from pydantic import ValidationError

from tools.models import Address, Claim, LineItem, Order, PaymentMethod, Refund, Shipment, Variant

ADDRESS = {"name": "Ann Lee", "line1": "12 Oak St", "city": "Bend", "state": "OR", "zip": "97702"}


def _order(**overrides: object) -> dict:
    base = {
        "id": "113-4567890-1234567",
        "platform": "amazon",
        "platform_ref": "113-4567890-1234567",
        "customer_id": "C00001",
        "status": "unshipped",
        "platform_status": "UNSHIPPED",
        "created_at": datetime(2026, 11, 20, 12, tzinfo=UTC),
        "items": [{"line_number": 1, "sku": "NF-CIS10", "product_id": "P001", "title": "Skillet", "quantity": 2,
                   "unit_price": "29.99"}],
        "subtotal": "59.98",
        "shipping": "0",
        "tax": "4.80",
        "total": "64.78",
        "payment_method": {"kind": "marketplace"},
        "shipping_address": ADDRESS,
        "fulfillment_channel": "FBA",
        "ship_by": date(2026, 11, 21),
        "deliver_by": date(2026, 11, 25),
    }
    base.update(overrides)
    return base


def test_valid_order_keeps_cents_exact() -> None:
    order = Order.model_validate(_order())
    assert order.total == Decimal("64.78")
    assert order.model_dump(mode="json")["total"] == 64.78


@pytest.mark.parametrize(
    ("platform", "order_id"),
    [
        ("amazon", "113-4567890-123456"),
        ("walmart", "123456789012"),
        ("shopify", "1001"),
        ("tiktok", "57712345678901234"),
        ("ebay", "12-3456-789012"),
    ],
)
def test_malformed_order_ids_are_rejected(platform: str, order_id: str) -> None:
    channel = {"amazon": "FBA", "walmart": "seller"}.get(platform, "seller")
    with pytest.raises(ValidationError, match=f"not a valid {platform} order id"):
        Order.model_validate(_order(id=order_id, platform=platform, fulfillment_channel=channel))


@pytest.mark.parametrize(
    ("platform", "order_id"),
    [("walmart", "1234567890123"), ("shopify", "#1001"), ("tiktok", "577123456789012345"), ("ebay", "12-34567-89012"),
     ("facebook", "#2044"), ("instagram", "#2045")],
)
def test_native_order_id_formats_are_accepted(platform: str, order_id: str) -> None:
    order = Order.model_validate(_order(id=order_id, platform=platform, fulfillment_channel="seller"))
    assert order.id == order_id


def test_totals_must_add_up() -> None:
    with pytest.raises(ValidationError, match="total must equal subtotal"):
        Order.model_validate(_order(total="99.99"))
    with pytest.raises(ValidationError, match="subtotal must equal the sum"):
        Order.model_validate(_order(subtotal="10.00", total="14.80"))


def test_fulfillment_channel_belongs_to_its_platform() -> None:
    with pytest.raises(ValidationError, match="WFS fulfillment exists only on Walmart"):
        Order.model_validate(_order(fulfillment_channel="WFS"))
    with pytest.raises(ValidationError, match="FBA/FBM fulfillment exists only on Amazon"):
        Order.model_validate(_order(id="#1001", platform="shopify"))


def test_timestamps_need_a_timezone() -> None:
    with pytest.raises(ValidationError, match="timezone"):
        Order.model_validate(_order(created_at=datetime(2026, 11, 20, 12)))


def test_money_cannot_be_negative_or_nan() -> None:
    with pytest.raises(ValidationError, match="must not be negative"):
        LineItem(line_number=1, sku="NF-A", product_id="P001", title="x", quantity=1, unit_price=Decimal("-1"))
    with pytest.raises(ValidationError, match="finite"):
        LineItem(line_number=1, sku="NF-A", product_id="P001", title="x", quantity=1, unit_price=Decimal("NaN"))


def test_refund_must_be_positive() -> None:
    with pytest.raises(ValidationError, match="greater than zero"):
        Refund(id="F000001", order_id="#1001", customer_id="C00001", amount=Decimal("0"), reason="x",
               status="processed", created_at=datetime(2026, 1, 1, tzinfo=UTC))


@pytest.mark.parametrize(
    ("carrier", "number", "ok"),
    [
        ("USPS", "9400111899223456789012", True),
        ("USPS", "940011189922345678901", False),
        ("UPS", "1ZV8W3190312345678", True),
        ("UPS", "1Z12345", False),
        ("FedEx", "123456789012", True),
        ("FedEx", "12345678901", False),
        ("Amazon Logistics", "TBA123456789012", True),
        ("Amazon Logistics", "TBX123456789012", False),
    ],
)
def test_tracking_number_formats(carrier: str, number: str, ok: bool) -> None:
    data = {"id": "SH1", "carrier": carrier, "service": "Ground", "tracking_number": number, "status": "in_transit",
            "shipped_at": datetime(2026, 11, 20, tzinfo=UTC), "estimated_delivery": date(2026, 11, 24)}
    if ok:
        assert Shipment.model_validate(data).tracking_number == number
    else:
        with pytest.raises(ValidationError, match=f"not a valid {carrier} tracking number"):
            Shipment.model_validate(data)


def test_delivered_shipment_needs_delivery_time() -> None:
    with pytest.raises(ValidationError, match="delivered_at"):
        Shipment(id="SH1", carrier="UPS", service="Ground", tracking_number="1ZV8W3190312345678", status="delivered",
                 shipped_at=datetime(2026, 11, 20, tzinfo=UTC), estimated_delivery=date(2026, 11, 24))


def test_address_validation_and_special_addresses() -> None:
    with pytest.raises(ValidationError, match="not a US state"):
        Address.model_validate({**ADDRESS, "state": "ZZ"})
    with pytest.raises(ValidationError, match="not a US ZIP"):
        Address.model_validate({**ADDRESS, "zip": "9770"})
    assert Address.model_validate({**ADDRESS, "line1": "PO Box 112"}).is_po_box
    assert Address.model_validate({**ADDRESS, "city": "APO", "state": "AE", "zip": "09012"}).is_military


def test_unknown_fields_and_bad_literals_are_rejected() -> None:
    with pytest.raises(ValidationError, match="Extra inputs are not permitted"):
        PaymentMethod.model_validate({"kind": "card", "cvv": "123"})
    with pytest.raises(ValidationError):
        Order.model_validate(_order(status="shipped_maybe"))


def test_sku_and_claim_rules() -> None:
    with pytest.raises(ValidationError, match="not a Northfork SKU"):
        Variant(sku="ABC-1", title="x", price=Decimal("1"), weight_lb=1)
    with pytest.raises(ValidationError, match="A-to-z claims exist only on Amazon"):
        Claim(id="M000001", order_id="#1001", customer_id="C00001", platform="shopify", type="a_to_z", status="open",
              amount=Decimal("10"), opened_at=datetime(2026, 11, 1, tzinfo=UTC),
              respond_by=datetime(2026, 11, 3, tzinfo=UTC), reason="x")
