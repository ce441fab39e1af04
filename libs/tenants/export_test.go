package tenants

// Lists of the validator for schema_test.go, which compares them with the
// schema's.
var (
	FileKeys, DefaultKeys, TenantKeys, LedgerKeys, TaxKeys = fileKeys, defaultKeys, tenantKeys, ledgerKeys, taxKeys
	IngestionKeys                                          = ingestionKeys
	BankKeys, BankAccountKeys, BankRuleKeys                = bankKeys, bankAccountKeys, bankRuleKeys
	Charts, AllocationOrders, Treatments                   = charts, allocationOrders, treatments
)

// Patterns returns the validator's string patterns.
func Patterns() []string {
	out := make([]string, len(patterns))
	for i, p := range patterns {
		out[i] = p.re.String()
	}
	return out
}
