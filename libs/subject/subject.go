// Package subject names o2c's JetStream streams and subjects. It is pure
// string work, so that packages below libs/bus (natsembed's permission
// rules, for one) name streams exactly as bus declares them.
package subject

import "strings"

// ShopStream is the stream of everything shops publish: shop.<tenant>.<event>.
const ShopStream = "SHOP"

// ServiceStream returns the name of the stream service publishes to,
// e.g. "O2C_INGESTION" or "O2C_REFUND_IMPORT".
func ServiceStream(service string) string {
	return "O2C_" + strings.ToUpper(strings.ReplaceAll(service, "-", "_"))
}

// Service returns o2c.<tenant>.<service>.<event>.
func Service(tenant, service, event string) string {
	return "o2c." + tenant + "." + service + "." + event
}
