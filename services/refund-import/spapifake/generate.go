package spapifake

import (
	"encoding/json"
	"time"
)

// RefundSpec describes a generated refund. Amounts are in minor units of
// Currency; positive means refunded to the buyer.
type RefundSpec struct {
	OrderID, AdjustmentID, SKU, Currency string
	Posted                               time.Time
	Principal, Tax, Shipping, Commission int64
	Marketplace                          string
}

// RefundEvent returns a v0 ShipmentEvent for the RefundEventList.
func RefundEvent(g RefundSpec) json.RawMessage { return nil }

// GuaranteeClaimEvent returns a v0 ShipmentEvent for the GuaranteeClaimEventList.
func GuaranteeClaimEvent(g RefundSpec) json.RawMessage { return nil }

// ChargebackEvent returns a v0 ShipmentEvent for the ChargebackEventList.
func ChargebackEvent(g RefundSpec) json.RawMessage { return nil }

// ReversalEvent returns an event for a refund taken back.
func ReversalEvent(g RefundSpec) json.RawMessage { return nil }
