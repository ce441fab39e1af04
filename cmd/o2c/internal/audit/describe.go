package audit

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"google.golang.org/protobuf/proto"

	commonv1 "github.com/o2c-platform/o2c/proto/o2c/common/v1"
	ingestionv1 "github.com/o2c-platform/o2c/proto/o2c/ingestion/v1"
	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"

	"github.com/o2c-platform/o2c/cmd/o2c/internal/table"
)

// maxText bounds the free text (reasons, posting texts, notes) quoted in a
// description, in characters.
const maxText = 60

// Describe says in words what an event of type eventType with the decoded
// payload changed, e.g. "period closed 2026-10" or "invoice RE-1
// registered". It names documents, debtors, periods and amounts, never
// payment references or other text a debtor wrote. A type it does not know,
// or a payload that is nil because it did not decode, is described by the
// type's name in words ("o2c.dunning.v1.DunningLevelRaised" becomes
// "dunning level raised").
func Describe(eventType string, payload proto.Message) string {
	switch p := payload.(type) {
	case *ingestionv1.InvoiceIngested:
		return fmt.Sprintf("invoice %s ingested for debtor %s, %s", text(p.GetInvoiceNumber()), text(p.GetDebtorId()), amount(p.GetGross()))
	case *ledgerv1.CommandAccepted:
		return commandAccepted(p)
	case *ledgerv1.JournalEntryPosted:
		return withText(fmt.Sprintf("journal entry %s posted, %s", text(p.GetDocumentNumber()), debits(p.GetLegs())), p.GetText())
	case *ledgerv1.OpenItemOpened:
		d := fmt.Sprintf("open item %s opened for debtor %s, %s %s", text(p.GetDocumentNumber()), text(p.GetDebtorId()), words(p.GetKind()), amount(p.GetAmount()))
		if c := p.GetClassification(); c != nil {
			// What older streams describe in a line of its own.
			d += ", classified as " + enumWords(c.GetComponent().String(), "OPEN_ITEM_COMPONENT_")
		}
		return d
	case *ledgerv1.OpenItemClassified:
		return fmt.Sprintf("open item %s classified as %s", p.GetOpenItemId(), enumWords(p.GetComponent().String(), "OPEN_ITEM_COMPONENT_"))
	case *ledgerv1.OpenItemCleared:
		return openItemCleared(p)
	case *ledgerv1.OpenItemReopened:
		return withText(fmt.Sprintf("open item %s reopened by %s, %s open", p.GetOpenItemId(), amount(p.GetAmount()), amount(p.GetOpenAmount())), p.GetReason())
	case *ledgerv1.JournalEntryReversed:
		return withText(fmt.Sprintf("journal entry %s reversed by %s", p.GetOriginalEntryId(), p.GetReversalEntryId()), p.GetReason())
	case *ledgerv1.WriteOffRecovered:
		return fmt.Sprintf("written-off open item %s recovered, %s", p.GetOpenItemId(), amount(p.GetAmount()))
	case *ledgerv1.PeriodClosed:
		return withText(fmt.Sprintf("period closed %04d-%02d", p.GetYear(), p.GetMonth()), p.GetReason())
	case *ledgerv1.PeriodReopened:
		return withText(fmt.Sprintf("period reopened %04d-%02d", p.GetYear(), p.GetMonth()), p.GetReason())
	case *ledgerv1.DebtorMerged:
		return withText(fmt.Sprintf("debtor %s merged into %s, %s moved", text(p.GetDebtorId()), text(p.GetIntoDebtorId()), table.Count(len(p.GetItems()), "open item")), p.GetReason())
	}
	return typeWords(eventType)
}

// commandAccepted describes the record of an accepted booking command. An
// invoice registered from ingestion has the key "invoice:<number>".
func commandAccepted(p *ledgerv1.CommandAccepted) string {
	name := p.GetCommand()
	key := text(p.GetIdempotencyKey())
	if name == string((&ledgerv1.RegisterInvoice{}).ProtoReflect().Descriptor().FullName()) {
		if number, ok := strings.CutPrefix(key, "invoice:"); ok {
			return "invoice " + number + " registered"
		}
	}
	return fmt.Sprintf("%s accepted, key %s", typeWords(name), key)
}

// openItemCleared names how the item was settled and what stays open.
func openItemCleared(p *ledgerv1.OpenItemCleared) string {
	var parts []string
	for _, s := range p.GetSettlements() {
		part := enumWords(s.GetKind().String(), "SETTLEMENT_KIND_") + " " + amount(s.GetAmount())
		if s.GetDocument() != "" {
			part += " (" + text(s.GetDocument()) + ")"
		}
		parts = append(parts, part)
	}
	const shown = 3
	if len(parts) > shown {
		parts = append(parts[:shown], fmt.Sprintf("%d more", len(parts)-shown))
	}
	settled := "settled"
	if len(parts) > 0 {
		settled += " by " + strings.Join(parts, ", ")
	}
	return fmt.Sprintf("open item %s %s, %s open", p.GetOpenItemId(), settled, amount(p.GetOpenAmount()))
}

// debits is the sum of an entry's debit legs per currency: the amount the
// entry moves.
func debits(legs []*ledgerv1.JournalLeg) string {
	var curs []string
	sum := map[string]int64{}
	for _, l := range legs {
		m := l.GetAmount()
		if m.GetMinorUnits() <= 0 {
			continue
		}
		if _, ok := sum[m.GetCurrency()]; !ok {
			curs = append(curs, m.GetCurrency())
		}
		sum[m.GetCurrency()] += m.GetMinorUnits()
	}
	if len(curs) == 0 {
		return "no amount"
	}
	out := make([]string, len(curs))
	for i, c := range curs {
		out[i] = table.Money(sum[c], c) + " " + text(c)
	}
	return strings.Join(out, " and ")
}

// amount formats money as "119.00 EUR".
func amount(m *commonv1.Money) string {
	return table.Money(m.GetMinorUnits(), m.GetCurrency()) + " " + text(m.GetCurrency())
}

// withText appends free text after a colon, cut to maxText characters.
func withText(s, free string) string {
	free = text(free)
	if free == "" {
		return s
	}
	if utf8.RuneCountInString(free) > maxText {
		free = string([]rune(free)[:maxText-1]) + "…"
	}
	return s + ": " + free
}

// text makes stored text safe for a one-line table: control characters
// (line breaks, tabs, terminal escapes) become spaces and runs of spaces
// one.
func text(s string) string {
	var b strings.Builder
	space := false
	for _, r := range strings.TrimSpace(s) {
		if unicode.IsControl(r) || unicode.IsSpace(r) {
			space = true
			continue
		}
		if space && b.Len() > 0 {
			b.WriteByte(' ')
		}
		space = false
		b.WriteRune(r)
	}
	return b.String()
}

// words turns an identifier such as "write_off" or "write-off" into
// "write off".
func words(s string) string {
	return strings.Join(strings.FieldsFunc(strings.ToLower(text(s)), func(r rune) bool { return r == '_' || r == '-' }), " ")
}

// enumWords turns an enum value name into words without its prefix:
// "SETTLEMENT_KIND_CASH_DISCOUNT" becomes "cash discount".
func enumWords(name, prefix string) string {
	return words(strings.TrimPrefix(name, prefix))
}

// typeWords turns a protobuf full name into the words of its last part:
// "o2c.ledger.v1.ApplyPayment" becomes "apply payment".
func typeWords(fullName string) string {
	name := text(fullName[strings.LastIndexByte(fullName, '.')+1:])
	var b strings.Builder
	rs := []rune(name)
	for i, r := range rs {
		if i > 0 && unicode.IsUpper(r) && (unicode.IsLower(rs[i-1]) || i+1 < len(rs) && unicode.IsLower(rs[i+1])) {
			b.WriteByte(' ')
		}
		b.WriteRune(unicode.ToLower(r))
	}
	if b.Len() == 0 {
		return "event of unknown type"
	}
	return b.String()
}
