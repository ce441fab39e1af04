package consumer

import (
	"context"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"

	commonv1 "github.com/o2c-platform/o2c/proto/o2c/common/v1"
	ingestionv1 "github.com/o2c-platform/o2c/proto/o2c/ingestion/v1"
	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"

	"github.com/o2c-platform/o2c/libs/fault"
	"github.com/o2c-platform/o2c/libs/tenants"
	"github.com/o2c-platform/o2c/libs/tenants/tenantstest"
	"github.com/o2c-platform/o2c/services/ledger/internal/books"
)

const testIBAN = "DE89370400440532013000"

// TestBankEventsBecomeCommands checks, given a bank transaction or
// statement ingestion emitted, the command that reaches the books, or that
// none does.
func TestBankEventsBecomeCommands(t *testing.T) {
	t.Parallel()
	d := func(day int32) *commonv1.Date { return &commonv1.Date{Year: 2026, Month: 5, Day: day} }
	tx := func(amount int64, class ingestionv1.BankTransactionClassification, change func(*ingestionv1.BankTransactionReceived)) proto.Message {
		m := &ingestionv1.BankTransactionReceived{
			Tenant: "demo", TransactionId: "T-1", AccountIban: testIBAN, Currency: "EUR", Amount: eur(amount),
			BookingDate: d(4), ValueDate: d(5), Status: "BOOK", Classification: class, BookingText: "SEPA-Gutschrift",
			Remittance: "RE-1 Max Mustermann", Books: true,
		}
		if change != nil {
			change(m)
		}
		return m
	}
	cmd := func(amount int64, counter ledgerv1.BankCounter, rule string) *ledgerv1.RecordBankTransaction {
		return &ledgerv1.RecordBankTransaction{
			Tenant: "demo", IdempotencyKey: "bank-transaction:T-1", TransactionId: "T-1", Iban: testIBAN, Amount: eur(amount),
			BookingDate: d(4), ValueDate: d(5), Counter: counter, Rule: rule, Text: "SEPA-Gutschrift",
		}
	}
	st := func(kind ingestionv1.BankStatementKind, change func(*ingestionv1.BankStatementReceived)) proto.Message {
		m := &ingestionv1.BankStatementReceived{
			Tenant: "demo", StatementKey: "final/" + testIBAN + "/S-1/1", Kind: kind, AccountIban: testIBAN, Currency: "EUR",
			StatementId: "S-1", Sequence: "1", FromDate: d(3), ToDate: d(4), ClosingDate: d(4),
			OpeningBooked: eur(1000), HasOpeningBooked: true, ClosingBooked: eur(2000), HasClosingBooked: true,
		}
		if change != nil {
			change(m)
		}
		return m
	}
	balance := func(change func(*ledgerv1.RecordStatementBalance)) *ledgerv1.RecordStatementBalance {
		c := &ledgerv1.RecordStatementBalance{
			Tenant: "demo", IdempotencyKey: "bank-statement:final/" + testIBAN + "/S-1/1", StatementKey: "final/" + testIBAN + "/S-1/1",
			Iban: testIBAN, ClosingBalance: eur(2000), ClosingDate: d(4), OpeningBalance: eur(1000), OpeningDate: d(3),
			StatementId: "S-1", Sequence: "1",
		}
		if change != nil {
			change(c)
		}
		return c
	}
	const (
		receipt      = ingestionv1.BankTransactionClassification_BANK_TRANSACTION_CLASSIFICATION_RECEIPT
		ret          = ingestionv1.BankTransactionClassification_BANK_TRANSACTION_CLASSIFICATION_RETURN
		classified   = ingestionv1.BankTransactionClassification_BANK_TRANSACTION_CLASSIFICATION_OUTGOING_CLASSIFIED
		unclassified = ingestionv1.BankTransactionClassification_BANK_TRANSACTION_CLASSIFICATION_OUTGOING_UNCLASSIFIED
		incoming     = ingestionv1.BankTransactionClassification_BANK_TRANSACTION_CLASSIFICATION_INCOMING_CLASSIFIED
		final        = ingestionv1.BankStatementKind_BANK_STATEMENT_KIND_FINAL
	)
	tests := []struct {
		name    string
		payload proto.Message
		want    proto.Message // nil: nothing reaches the books
	}{
		{"a receipt waits on unidentified receipts", tx(11900, receipt, nil),
			cmd(11900, ledgerv1.BankCounter_BANK_COUNTER_UNIDENTIFIED_RECEIPTS, "")},
		{"a return goes back through unidentified receipts", tx(-11900, ret, nil),
			cmd(-11900, ledgerv1.BankCounter_BANK_COUNTER_UNIDENTIFIED_RECEIPTS, "")},
		{"a classified debit names its rule", tx(-500, classified, func(m *ingestionv1.BankTransactionReceived) { m.Rule = "salaries" }),
			cmd(-500, ledgerv1.BankCounter_BANK_COUNTER_OUTGOING_RULE, "salaries")},
		{"a classified credit names its incoming rule", tx(42500, incoming, func(m *ingestionv1.BankTransactionReceived) { m.Rule = "inkasso-payout" }),
			cmd(42500, ledgerv1.BankCounter_BANK_COUNTER_INCOMING_RULE, "inkasso-payout")},
		{"an unclassified debit waits on unidentified payments", tx(-500, unclassified, nil),
			cmd(-500, ledgerv1.BankCounter_BANK_COUNTER_UNIDENTIFIED_PAYMENTS, "")},
		{"an MT940 transaction without status books", tx(11900, receipt, func(m *ingestionv1.BankTransactionReceived) { m.Status = "" }),
			cmd(11900, ledgerv1.BankCounter_BANK_COUNTER_UNIDENTIFIED_RECEIPTS, "")},
		{"without a booking date the value date books", tx(11900, receipt, func(m *ingestionv1.BankTransactionReceived) { m.BookingDate = nil }),
			func() proto.Message {
				c := cmd(11900, ledgerv1.BankCounter_BANK_COUNTER_UNIDENTIFIED_RECEIPTS, "")
				c.BookingDate = d(5)
				return c
			}()},
		{"a transaction that does not book", tx(11900, receipt, func(m *ingestionv1.BankTransactionReceived) { m.Books = false }), nil},
		{"a pending transaction", tx(11900, receipt, func(m *ingestionv1.BankTransactionReceived) { m.Status = "PDNG" }), nil},
		{"a final statement records its balances", st(final, nil), balance(nil)},
		{"the opening balance is dated on its own balance date when the bank gives one",
			st(final, func(m *ingestionv1.BankStatementReceived) { m.OpeningDate = d(2) }),
			balance(func(c *ledgerv1.RecordStatementBalance) { c.OpeningDate = d(2) })},
		{"a statement without a start date dates the opening balance on the closing date",
			st(final, func(m *ingestionv1.BankStatementReceived) { m.FromDate = nil }),
			balance(func(c *ledgerv1.RecordStatementBalance) { c.OpeningDate = d(4) })},
		{"a statement without an opening balance records none",
			st(final, func(m *ingestionv1.BankStatementReceived) { m.HasOpeningBooked, m.OpeningBooked = false, nil }),
			balance(func(c *ledgerv1.RecordStatementBalance) { c.OpeningBalance, c.OpeningDate = nil, nil })},
		{"a statement without a closing balance date closes on its end date",
			st(final, func(m *ingestionv1.BankStatementReceived) { m.ClosingDate = nil }), balance(nil)},
		{"a final statement without a closing balance records nothing",
			st(final, func(m *ingestionv1.BankStatementReceived) { m.HasClosingBooked = false }), nil},
		{"an intraday report records nothing", st(ingestionv1.BankStatementKind_BANK_STATEMENT_KIND_INTRADAY, nil), nil},
		{"a notification records nothing", st(ingestionv1.BankStatementKind_BANK_STATEMENT_KIND_NOTIFICATION, nil), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rec := &recorder{}
			b := &Booker{Commands: rec, Tenants: tenantstest.File(t, "demo")}
			if err := b.BookIngested(context.Background(), relayed(t, tt.payload)); err != nil {
				t.Fatal(err)
			}
			var want []proto.Message
			if tt.want != nil {
				want = []proto.Message{tt.want}
			}
			if diff := cmp.Diff(want, rec.cmds, protocmp.Transform()); diff != "" {
				t.Errorf("commands (-want +got):\n%s", diff)
			}
		})
	}
}

// TestBankFailuresAreSorted checks how the books' refusal of a bank
// transaction or statement is classified, with its document: an unknown
// rule or IBAN is a failed precondition, recorded, not redelivered; an
// unknown tenant is not found.
func TestBankFailuresAreSorted(t *testing.T) {
	t.Parallel()
	classify := fault.Chain(books.Errors.Classify, tenants.Errors.Classify)
	tx := func(tenant string) proto.Message {
		return &ingestionv1.BankTransactionReceived{Tenant: tenant, TransactionId: "T-1", AccountIban: testIBAN, Amount: eur(-100),
			Classification: ingestionv1.BankTransactionClassification_BANK_TRANSACTION_CLASSIFICATION_OUTGOING_CLASSIFIED, Rule: "rent", Books: true}
	}
	statement := &ingestionv1.BankStatementReceived{Tenant: "demo", StatementKey: "final/X/S-1/1", AccountIban: "X",
		Kind: ingestionv1.BankStatementKind_BANK_STATEMENT_KIND_FINAL, ClosingBooked: eur(100), HasClosingBooked: true}
	tests := []struct {
		name    string
		payload proto.Message
		books   error
		class   fault.Class
		code    string
		doc     string
	}{
		{"unknown rule", tx("demo"), fmt.Errorf("%w: outgoing rule %q", books.ErrUnknownAccount, "rent"), fault.Precondition, "", "T-1"},
		{"unknown IBAN", statement, fmt.Errorf("%w: bank account %q", books.ErrUnknownAccount, "X"), fault.Precondition, "", "final/X/S-1/1"},
		{"unknown tenant", tx("acme"), nil, fault.NotFound, "unknown_tenant", "T-1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := &Booker{Commands: failing{tt.books}, Tenants: tenantstest.File(t, "demo")}
			err := b.BookIngested(context.Background(), relayed(t, tt.payload))
			if c := classify(err); c != tt.class {
				t.Errorf("class %v (%v), want %v", c, err, tt.class)
			}
			if d := fault.DetailOf(err); d.Code != tt.code || d.Document != tt.doc {
				t.Errorf("detail %+v, want code %q and document %q", d, tt.code, tt.doc)
			}
		})
	}
}
