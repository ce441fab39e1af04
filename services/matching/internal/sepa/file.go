package sepa

import (
	"bytes"
	"fmt"
	"strings"
	"time"

	"github.com/o2c-platform/o2c/libs/formats/pain"
	"github.com/o2c-platform/o2c/libs/sepa"
)

// Held is a debit or transfer held back from a file because the writer
// refused one of its fields; the rest of the file was written.
type Held struct {
	EndToEndID, Reason string
}

// party returns a mandate's debtor as a pain party.
func party(m Mandate) pain.Party {
	p := pain.Party{Name: m.Name, IBAN: m.IBAN, BIC: m.BIC, Country: m.Country, PostCode: m.PostCode, Town: m.Town}
	if m.Street != "" {
		p.Address = []string{m.Street}
	}
	return p
}

// creditor returns the tenant's account as a pain party.
func creditor(a CreditorAccount) pain.Party {
	return pain.Party{Name: a.Name, IBAN: a.IBAN, BIC: a.BIC}
}

// Remittance is the remittance text of an item's collection or payout.
func Remittance(document, item string) string {
	if document != "" {
		return document
	}
	return item
}

// Collection builds one pain.008 message of the debits of a file, one
// batch per sequence type. A mandate's pending amendment goes with each of
// its debits.
func Collection(k FileKey, msgID string, created time.Time, acct CreditorAccount, ds []Debit, mandates map[string]Mandate) pain.Collection {
	c := pain.Collection{MessageID: msgID, Created: created, Scheme: k.Scheme, Creditor: creditor(acct), CreditorID: acct.CreditorID}
	idx := map[string]int{}
	for _, d := range ds {
		i, ok := idx[d.Sequence]
		if !ok {
			i = len(c.Batches)
			idx[d.Sequence] = i
			c.Batches = append(c.Batches, pain.DebitBatch{PaymentInfoID: cut(msgID+"-"+d.Sequence, sepa.MaxIDLength),
				Sequence: d.Sequence, Collection: Day(k.Collection)})
		}
		m := mandates[d.Mandate]
		dd := pain.DirectDebit{EndToEndID: d.EndToEndID, MandateID: m.Reference, MandateSigned: Day(m.SignedOn),
			Sequence: d.Sequence, Amount: d.Amount, Debtor: party(m), Remittance: Remittance(d.Document, d.Item)}
		if a := m.Amendment; a != nil {
			dd.Amendment = &pain.Amendment{OriginalMandateID: a.OriginalReference, OriginalCreditorID: a.OriginalCreditorID,
				SameBankChanged: a.NewAccount}
		}
		c.Batches[i].Debits = append(c.Batches[i].Debits, dd)
	}
	return c
}

func cut(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

// WriteCollection writes c, holding back every debit the writer refuses a
// field of (pain.FieldErrors names it by end-to-end id) and writing the
// rest. It fails when a refusal names no debit (the message's or a
// batch's own fields) or nothing is left.
func WriteCollection(c pain.Collection) ([]byte, []Held, error) {
	var held []Held
	for {
		var buf bytes.Buffer
		err := pain.WriteCollection(&buf, c)
		if err == nil {
			return buf.Bytes(), held, nil
		}
		out, ok := holdBack(err, &held)
		if !ok {
			return nil, held, err
		}
		var batches []pain.DebitBatch
		for _, b := range c.Batches {
			var keep []pain.DirectDebit
			for _, d := range b.Debits {
				if !out[d.EndToEndID] {
					keep = append(keep, d)
				}
			}
			if len(keep) > 0 {
				b.Debits = keep
				batches = append(batches, b)
			}
		}
		if len(batches) == 0 {
			return nil, held, err
		}
		c.Batches = batches
	}
}

// WritePayout writes p as WriteCollection writes a collection.
func WritePayout(p pain.Payout) ([]byte, []Held, error) {
	var held []Held
	for {
		var buf bytes.Buffer
		err := pain.WritePayout(&buf, p)
		if err == nil {
			return buf.Bytes(), held, nil
		}
		out, ok := holdBack(err, &held)
		if !ok {
			return nil, held, err
		}
		var keep []pain.Transfer
		for _, t := range p.Transfers {
			if !out[t.EndToEndID] {
				keep = append(keep, t)
			}
		}
		if len(keep) == 0 {
			return nil, held, err
		}
		p.Transfers = keep
	}
}

// holdBack lists the end-to-end ids err refuses; false when a refusal
// names none.
func holdBack(err error, held *[]Held) (map[string]bool, bool) {
	fes := pain.FieldErrors(err)
	if len(fes) == 0 {
		return nil, false
	}
	out := map[string]bool{}
	for _, fe := range fes {
		if fe.EndToEndID == "" {
			return nil, false
		}
		if !out[fe.EndToEndID] {
			*held = append(*held, Held{EndToEndID: fe.EndToEndID, Reason: fe.Field + ": " + fe.Err.Error()})
		}
		out[fe.EndToEndID] = true
	}
	return out, true
}

// PreNotification is the text telling a debtor of the collections planned
// under one mandate: amounts, dates, mandate reference and creditor
// identifier, as the rulebook requires, in German and English.
func PreNotification(acct CreditorAccount, m Mandate, ds []Debit) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Vorabankündigung einer SEPA-Lastschrift / Pre-notification of a SEPA direct debit\n\n")
	fmt.Fprintf(&b, "Zahlungsempfänger / Creditor: %s\nGläubiger-ID / Creditor identifier: %s\n", acct.Name, acct.CreditorID)
	fmt.Fprintf(&b, "Mandatsreferenz / Mandate reference: %s\nKonto / Account: %s\n\n", m.Reference, maskIBAN(m.IBAN))
	var total int64
	for _, d := range ds {
		fmt.Fprintf(&b, "%s  %s EUR  am / on %s  (%s)\n", Remittance(d.Document, d.Item), euros(d.Amount),
			d.Collection.Format(time.DateOnly), d.Sequence)
		total += d.Amount
	}
	fmt.Fprintf(&b, "\nSumme / Total: %s EUR\n", euros(total))
	return b.String()
}

func maskIBAN(iban string) string {
	if len(iban) <= 8 {
		return iban
	}
	return iban[:4] + strings.Repeat("X", len(iban)-8) + iban[len(iban)-4:]
}

func euros(minor int64) string {
	sign := ""
	if minor < 0 {
		sign, minor = "-", -minor
	}
	return fmt.Sprintf("%s%d.%02d", sign, minor/100, minor%100)
}
