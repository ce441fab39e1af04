package invoice

import (
	"google.golang.org/protobuf/proto"

	shopv1 "github.com/o2c-platform/o2c/proto/o2c/shop/v1"
)

// DebtorByReference reports whether inv names its debtor by
// debtor.customer_id only, without the debtor's data (kind, name, VAT id,
// e-mail, address): such an invoice takes the data of the customer the
// shop published (customer registered / updated) and waits for it when
// none is held yet.
func DebtorByReference(inv *shopv1.InvoiceIssued) bool {
	d := inv.GetDebtor()
	return d.GetCustomerId() != "" && d.GetKind() == shopv1.DebtorKind_DEBTOR_KIND_UNSPECIFIED &&
		d.GetName() == "" && d.GetVatId() == "" && d.GetEmail() == "" && d.GetBillingAddress() == nil
}

// ValidateHeld checks an invoice that names its debtor by reference (see
// DebtorByReference) as Validate does, everything but the debtor's data,
// so that an invoice held for its customer is one that can be accepted
// once the customer's data is there.
func ValidateHeld(inv *shopv1.InvoiceIssued, subjectTenant string, opts ...Option) error {
	c := proto.Clone(inv).(*shopv1.InvoiceIssued)
	c.Debtor.Kind, c.Debtor.Name = shopv1.DebtorKind_DEBTOR_KIND_CONSUMER, "held"
	return Validate(c, subjectTenant, opts...)
}
