package books

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"

	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"
)

// bankTx is a RecordBankTransaction of amount (signed) on the test IBAN,
// booked on 2026-11-18, under the key "bank-transaction:<id>".
func bankTx(id string, amount int64, counter ledgerv1.BankCounter, rule string) *ledgerv1.RecordBankTransaction {
	return &ledgerv1.RecordBankTransaction{
		Tenant: tenant, IdempotencyKey: "bank-transaction:" + id, TransactionId: id, Iban: iban, Amount: eur(amount),
		BookingDate: date(2026, 11, 18), ValueDate: date(2026, 11, 18), Counter: counter, Rule: rule,
	}
}

func receipt(id string, amount int64) *ledgerv1.RecordBankTransaction {
	return bankTx(id, amount, ledgerv1.BankCounter_BANK_COUNTER_UNIDENTIFIED_RECEIPTS, "")
}

func bankStep(cmd *ledgerv1.RecordBankTransaction) step {
	return func(l *Ledger) ([]proto.Message, error) { return l.RecordBankTransaction(cmd, origin()) }
}

// statement is a RecordStatementBalance of the test IBAN closing on
// 2026-11-18 at closing, with an opening balance dated 2026-11-18 unless
// opening is nil.
func statement(key string, closing int64, opening *int64) *ledgerv1.RecordStatementBalance {
	cmd := &ledgerv1.RecordStatementBalance{
		Tenant: tenant, IdempotencyKey: "bank-statement:" + key, StatementKey: key, Iban: iban,
		ClosingBalance: eur(closing), ClosingDate: date(2026, 11, 18), StatementId: "STMT-" + key, Sequence: "1",
	}
	if opening != nil {
		cmd.OpeningBalance, cmd.OpeningDate = eur(*opening), date(2026, 11, 18)
	}
	return cmd
}

func statementStep(cmd *ledgerv1.RecordStatementBalance, h AccountHistory) step {
	return func(l *Ledger) ([]proto.Message, error) { return l.RecordStatementBalance(cmd, h, origin()) }
}

func with[M proto.Message](m M, change func(M)) M {
	c := proto.CloneOf(m)
	change(c)
	return c
}

// TestBankTransactions reads as: given these commands were booked, when a
// bank transaction is recorded, then it fails with wantErr (whose text
// names wantText), or the account balances afterwards are wantBal.
func TestBankTransactions(t *testing.T) {
	t.Parallel()
	const (
		receipts = ledgerv1.BankCounter_BANK_COUNTER_UNIDENTIFIED_RECEIPTS
		rule     = ledgerv1.BankCounter_BANK_COUNTER_OUTGOING_RULE
		payments = ledgerv1.BankCounter_BANK_COUNTER_UNIDENTIFIED_PAYMENTS
		incoming = ledgerv1.BankCounter_BANK_COUNTER_INCOMING_RULE
	)
	tests := []struct {
		name     string
		given    []step
		when     *ledgerv1.RecordBankTransaction
		wantErr  error
		wantText string
		wantBal  map[string]int64
	}{
		{
			name: "a receipt books the bank against unidentified receipts", when: receipt("T-1", 11900),
			wantBal: map[string]int64{"1200": 11900, "1591": -11900},
		},
		{
			name: "a return books the bank against unidentified receipts the other way", when: bankTx("T-1", -5000, receipts, ""),
			wantBal: map[string]int64{"1200": -5000, "1591": 5000},
		},
		{
			name: "a classified debit books the bank against its rule's account", when: bankTx("T-1", -250000, rule, "salaries"),
			wantBal: map[string]int64{"1200": -250000, "4120": 250000},
		},
		{
			name: "an unclassified debit books the bank against unidentified payments", when: bankTx("T-1", -3000, payments, ""),
			wantBal: map[string]int64{"1200": -3000, "1599": 3000},
		},
		{
			name: "a classified credit books the bank against its incoming rule's account", when: bankTx("T-1", 42500, incoming, "inkasso-payout"),
			wantBal: map[string]int64{"1200": 42500, "1362": -42500},
		},
		{
			name: "an incoming rule the tenant does not have is refused, naming it", when: bankTx("T-1", 100, incoming, "salaries"),
			wantErr: ErrUnknownAccount, wantText: `incoming rule "salaries"`,
		},
		{
			name: "an incoming rule counter needs a rule", when: bankTx("T-1", 100, incoming, ""),
			wantErr: ErrInvalidCommand, wantText: "rule",
		},
		{
			name: "a debit against an incoming rule is refused", when: bankTx("T-1", -100, incoming, "inkasso-payout"),
			wantErr: ErrInvalidCommand, wantText: "debit",
		},
		{
			name: "the same command again books nothing", given: []step{bankStep(receipt("T-1", 11900))}, when: receipt("T-1", 11900),
			wantBal: map[string]int64{"1200": 11900, "1591": -11900},
		},
		{
			name: "the same key with other content is a conflict", given: []step{bankStep(receipt("T-1", 11900))},
			when: receipt("T-1", 11800), wantErr: ErrIdempotencyConflict,
		},
		{
			name: "the same transaction under another key is a duplicate", given: []step{bankStep(receipt("T-1", 11900))},
			when:    with(receipt("T-1", 11900), func(c *ledgerv1.RecordBankTransaction) { c.IdempotencyKey = "other" }),
			wantErr: ErrDuplicateDocument, wantText: "T-1",
		},
		{
			name:    "an IBAN the tenant does not have is refused, naming it",
			when:    with(receipt("T-1", 100), func(c *ledgerv1.RecordBankTransaction) { c.Iban = "DE02120300000000202051" }),
			wantErr: ErrUnknownAccount, wantText: "DE02120300000000202051",
		},
		{
			name: "a rule the tenant does not have is refused, naming it", when: bankTx("T-1", -100, rule, "rent"),
			wantErr: ErrUnknownAccount, wantText: `outgoing rule "rent"`,
		},
		{
			name: "an outgoing rule counter needs a rule", when: bankTx("T-1", -100, rule, ""),
			wantErr: ErrInvalidCommand, wantText: "rule",
		},
		{
			name: "a rule beside another counter is refused", when: bankTx("T-1", -100, payments, "salaries"),
			wantErr: ErrInvalidCommand, wantText: "rule",
		},
		{
			name: "a credit against an outgoing counter is refused", when: bankTx("T-1", 100, payments, ""),
			wantErr: ErrInvalidCommand, wantText: "credit",
		},
		{
			name:    "a currency other than the bank account's is refused",
			when:    with(receipt("T-1", 100), func(c *ledgerv1.RecordBankTransaction) { c.Amount.Currency = "USD" }),
			wantErr: ErrInvalidCommand, wantText: "kept in EUR",
		},
		{
			name: "a zero amount is refused", when: receipt("T-1", 0),
			wantErr: ErrInvalidCommand, wantText: "amount",
		},
		{
			name: "no counter is refused", when: bankTx("T-1", 100, ledgerv1.BankCounter_BANK_COUNTER_UNSPECIFIED, ""),
			wantErr: ErrInvalidCommand, wantText: "counter",
		},
		{
			name:    "no transaction id is refused",
			when:    with(receipt("T-1", 100), func(c *ledgerv1.RecordBankTransaction) { c.TransactionId = "" }),
			wantErr: ErrInvalidCommand, wantText: "transaction_id",
		},
		{
			name:    "no booking date is refused",
			when:    with(receipt("T-1", 100), func(c *ledgerv1.RecordBankTransaction) { c.BookingDate = nil }),
			wantErr: ErrInvalidCommand, wantText: "booking_date",
		},
		{
			name: "a booking in a closed period is refused", given: []step{closePeriod(2026, time.November, cfo())},
			when: receipt("T-1", 100), wantErr: ErrPeriodClosed,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			l := given(t, tt.given...)
			_, err := run(t, l, bankStep(tt.when))
			if !errors.Is(err, tt.wantErr) || err != nil && !strings.Contains(err.Error(), tt.wantText) {
				t.Fatalf("error %v, want %v naming %q", err, tt.wantErr, tt.wantText)
			}
			if tt.wantErr != nil {
				return
			}
			if diff := cmp.Diff(tt.wantBal, balances(l)); diff != "" {
				t.Errorf("balances (-want +got):\n%s", diff)
			}
		})
	}
}

// TestUnidentifiedAccountsAreOverridable checks where the clearing
// accounts of the bank side are: the standard's number, else the tenant's
// under accounts, else under clearing, which wins.
func TestUnidentifiedAccountsAreOverridable(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		chart Chart
		want  [2]string
	}{
		{"SKR03", Chart{}, [2]string{"1591", "1599"}},
		{"SKR04", Chart{Standard: SKR04}, [2]string{"1371", "1379"}},
		{"accounts", Chart{Accounts: map[Logical]string{UnidentifiedReceipts: "1361", UnidentifiedPayments: "1362"}}, [2]string{"1361", "1362"}},
		{"clearing wins", Chart{
			Accounts: map[Logical]string{UnidentifiedReceipts: "1361"},
			Clearing: map[string]string{"unidentified-receipts": "1370", "unidentified-payments": "1371"},
		}, [2]string{"1370", "1371"}},
	}
	for _, tt := range tests {
		var got [2]string
		for i, name := range []Logical{UnidentifiedReceipts, UnidentifiedPayments} {
			a, err := tt.chart.ClearingAccount(string(name))
			if err != nil {
				t.Fatalf("%s: %s: %v", tt.name, name, err)
			}
			got[i] = a
		}
		if got != tt.want {
			t.Errorf("%s: receipts and payments on %v, want %v", tt.name, got, tt.want)
		}
	}
	if _, err := (Chart{}).ClearingAccount("opening-balance-accounts"); !errors.Is(err, ErrUnknownAccount) {
		t.Errorf("another logical account as a clearing account: %v, want ErrUnknownAccount", err)
	}
}

// TestStatementBalance reads as: given these commands were booked, when a
// statement's balance is recorded with what the other streams hold of the
// bank account (history), then it fails with wantErr, or it records the
// statement and the balances afterwards are wantBal (an opening balance
// entry exactly when the opening balance rule holds).
func TestStatementBalance(t *testing.T) {
	t.Parallel()
	opening := func(v int64) *int64 { return &v }
	none := AccountHistory{}
	ownLines := AccountHistory{Posted: true, First: Date{2026, time.November, 18}}
	earlier := AccountHistory{Posted: true, First: Date{2026, time.November, 17}}
	tests := []struct {
		name     string
		given    []step
		when     *ledgerv1.RecordStatementBalance
		history  AccountHistory
		wantErr  error
		wantText string
		wantBal  map[string]int64
	}{
		{
			name: "the first statement of an account without lines books its opening balance", when: statement("S-1", 100000, opening(100000)),
			history: none, wantBal: map[string]int64{"1200": 100000, "9000": -100000},
		},
		{
			name: "the first statement books its opening balance beside its own transactions", given: []step{bankStep(receipt("T-1", 500))},
			when: statement("S-1", 100500, opening(100000)), history: ownLines,
			wantBal: map[string]int64{"1200": 100500, "9000": -100000, "1591": -500},
		},
		{
			name: "an account with lines before the opening date books no opening balance", when: statement("S-1", 100000, opening(100000)),
			history: earlier, wantBal: map[string]int64{},
		},
		{
			name: "a later statement books no opening balance", given: []step{statementStep(statement("S-1", 100000, opening(100000)), none)},
			when: statement("S-2", 100000, opening(100000)), history: ownLines,
			wantBal: map[string]int64{"1200": 100000, "9000": -100000},
		},
		{
			name: "a statement without an opening balance books none", when: statement("S-1", 100000, nil),
			wantBal: map[string]int64{},
		},
		{
			name: "a zero opening balance books nothing", when: statement("S-1", 0, opening(0)),
			wantBal: map[string]int64{},
		},
		{
			name: "a negative opening balance (overdraft) credits the bank", when: statement("S-1", -7000, opening(-7000)),
			wantBal: map[string]int64{"1200": -7000, "9000": 7000},
		},
		{
			name: "the same statement again books nothing", given: []step{statementStep(statement("S-1", 100000, opening(100000)), none)},
			when: statement("S-1", 100000, opening(100000)), history: ownLines,
			wantBal: map[string]int64{"1200": 100000, "9000": -100000},
		},
		{
			name: "the same statement under another key is a duplicate", given: []step{statementStep(statement("S-1", 100000, nil), none)},
			when:    with(statement("S-1", 100000, nil), func(c *ledgerv1.RecordStatementBalance) { c.IdempotencyKey = "other" }),
			wantErr: ErrDuplicateDocument, wantText: "S-1",
		},
		{
			name:    "an IBAN the tenant does not have is refused, naming it",
			when:    with(statement("S-1", 100, nil), func(c *ledgerv1.RecordStatementBalance) { c.Iban = "DE02120300000000202051" }),
			wantErr: ErrUnknownAccount, wantText: "DE02120300000000202051",
		},
		{
			name:    "an opening date after the closing date is refused",
			when:    with(statement("S-1", 100, opening(100)), func(c *ledgerv1.RecordStatementBalance) { c.OpeningDate = date(2026, 11, 19) }),
			wantErr: ErrInvalidCommand, wantText: "opening_date",
		},
		{
			name:    "an opening balance without its date is refused",
			when:    with(statement("S-1", 100, opening(100)), func(c *ledgerv1.RecordStatementBalance) { c.OpeningDate = nil }),
			wantErr: ErrInvalidCommand, wantText: "opening_date",
		},
		{
			name: "an opening balance in a closed period is refused", given: []step{closePeriod(2026, time.November, cfo())},
			when: statement("S-1", 100, opening(100)), wantErr: ErrPeriodClosed,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			l := given(t, tt.given...)
			before := len(l.Statements())
			evs, err := run(t, l, statementStep(tt.when, tt.history))
			if !errors.Is(err, tt.wantErr) || err != nil && !strings.Contains(err.Error(), tt.wantText) {
				t.Fatalf("error %v, want %v naming %q", err, tt.wantErr, tt.wantText)
			}
			if tt.wantErr != nil {
				return
			}
			if diff := cmp.Diff(tt.wantBal, balances(l)); diff != "" {
				t.Errorf("balances (-want +got):\n%s", diff)
			}
			if len(evs) > 0 && len(l.Statements()) != before+1 {
				t.Errorf("%d statements recorded after the command, want %d", len(l.Statements()), before+1)
			}
		})
	}
}

// TestStatementBalanceRecordsTheStatement checks the event of a first
// statement whose opening balance is booked.
func TestStatementBalanceRecordsTheStatement(t *testing.T) {
	t.Parallel()
	l := given(t)
	open := int64(100000)
	evs, err := run(t, l, statementStep(statement("S-1", 100500, &open), AccountHistory{}))
	if err != nil {
		t.Fatal(err)
	}
	var rec *ledgerv1.StatementBalanceRecorded
	var entry *ledgerv1.JournalEntryPosted
	for _, ev := range evs {
		switch e := ev.(type) {
		case *ledgerv1.StatementBalanceRecorded:
			rec = e
		case *ledgerv1.JournalEntryPosted:
			entry = e
		}
	}
	if entry == nil || rec == nil {
		t.Fatalf("events %v, want an opening entry and the statement", evs)
	}
	want := &ledgerv1.StatementBalanceRecorded{
		Tenant: tenant, StatementKey: "S-1", Iban: iban, Account: "1200",
		ClosingBalance: eur(100500), ClosingDate: date(2026, 11, 18), OpeningBalance: eur(100000), OpeningDate: date(2026, 11, 18),
		StatementId: "STMT-S-1", Sequence: "1", OpeningEntryId: entry.GetEntryId(),
	}
	if diff := cmp.Diff(want, rec, protocmp.Transform()); diff != "" {
		t.Errorf("statement (-want +got):\n%s", diff)
	}
	if got := DateOf(entry.GetEffectiveDate()); got != (Date{2026, time.November, 18}) {
		t.Errorf("opening entry dated %s, want the opening date", got)
	}
}

// TestMatchingMovesReceiptsThroughTheClearingAccount books a receipt on
// the bank, applies it from the unidentified receipts clearing account to
// the invoice (as matching does), then books the bank's return of it and
// returns the payment: the invoice is cleared and reopened, the clearing
// account is back at zero after each step, and only the bank's own
// transactions touch the bank account.
func TestMatchingMovesReceiptsThroughTheClearingAccount(t *testing.T) {
	t.Parallel()
	apply := func(l *Ledger) ([]proto.Message, error) {
		return l.ApplyPayment(&ledgerv1.ApplyPayment{
			Tenant: tenant, IdempotencyKey: "payment:P-1", PaymentId: "P-1", DebtorId: "C-1", Amount: eur(11900),
			ValueDate: date(2026, 11, 18), ClearingAccount: "unidentified-receipts",
		}, origin())
	}
	returned := func(fee int64) step {
		return func(l *Ledger) ([]proto.Message, error) {
			cmd := &ledgerv1.ReturnPayment{
				Tenant: tenant, IdempotencyKey: "return:P-1", PaymentId: "P-1",
				Kind: ledgerv1.ReturnKind_RETURN_KIND_RETURNED_DEBIT, ReturnDate: date(2026, 11, 19),
			}
			if fee != 0 {
				cmd.BankFee = eur(fee)
			}
			return l.ReturnPayment(cmd, origin())
		}
	}
	bankReturn := func(amount int64) step {
		return bankStep(with(receipt("T-2", -amount), func(c *ledgerv1.RecordBankTransaction) { c.BookingDate = date(2026, 11, 19) }))
	}
	tests := []struct {
		name     string
		steps    []step
		wantOpen map[string]int64
		wantBal  map[string]int64
	}{
		{
			name:     "the receipt waits on the clearing account",
			steps:    []step{bankStep(receipt("T-1", 11900))},
			wantOpen: map[string]int64{"invoice:RE-1": 11900},
			wantBal:  map[string]int64{"1200": 11900, "1591": -11900, "10000": 11900, "8400": -10000, "1776": -1900},
		},
		{
			name:     "matching clears the invoice and the clearing account",
			steps:    []step{bankStep(receipt("T-1", 11900)), apply},
			wantOpen: map[string]int64{"invoice:RE-1": 0},
			wantBal:  map[string]int64{"1200": 11900, "8400": -10000, "1776": -1900},
		},
		{
			name:     "the return reopens the invoice and leaves the bank to the bank's transactions",
			steps:    []step{bankStep(receipt("T-1", 11900)), apply, bankReturn(11900), returned(0)},
			wantOpen: map[string]int64{"invoice:RE-1": 11900},
			wantBal:  map[string]int64{"10000": 11900, "8400": -10000, "1776": -1900},
		},
		{
			name:     "the bank's return fee is an expense and the clearing account still ends at zero",
			steps:    []step{bankStep(receipt("T-1", 11900)), apply, bankReturn(12200), returned(300)},
			wantOpen: map[string]int64{"invoice:RE-1": 11900},
			wantBal:  map[string]int64{"1200": -300, "4970": 300, "10000": 11900, "8400": -10000, "1776": -1900},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			l := given(t, invoice("RE-1", "C-1", 10000, date(2026, 11, 30)))
			for i, s := range tt.steps {
				if _, err := run(t, l, s); err != nil {
					t.Fatalf("step %d: %v", i, err)
				}
			}
			if diff := cmp.Diff(tt.wantOpen, openByDocument(l)); diff != "" {
				t.Errorf("open items (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantBal, balances(l)); diff != "" {
				t.Errorf("balances (-want +got):\n%s", diff)
			}
		})
	}
}

// TestCommanderBooksTheBankSide runs the bank commands through the
// Commander on memstore: each transaction on a stream of its own, each
// statement on its IBAN's stream, and the opening balance rule asking the
// whole log (LogPostings) whether the bank account has earlier lines, here
// a payment booked straight to the bank account on a debtor's stream.
func TestCommanderBooksTheBankSide(t *testing.T) {
	t.Parallel()
	opening := int64(100000)
	tests := []struct {
		name        string
		given       []proto.Message
		wantOpening bool
	}{
		{"a new account starts where the bank does", nil, true},
		{"an account with an earlier payment on it does not", []proto.Message{
			registerInvoice("RE-1", "C-1", 10000),
			&ledgerv1.ApplyPayment{Tenant: tenant, IdempotencyKey: "payment:P-0", PaymentId: "P-0", DebtorId: "C-1",
				Amount: eur(100), ValueDate: date(2026, 11, 2), Iban: iban},
		}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			w.cmds = NewCommander(w.events, w.dir, CommanderOptions{
				Config: func(string) Config { return testConfig() }, Now: func() time.Time { return recordedAt },
				Postings: LogPostings{Log: w.events},
			})
			w.given(t, tt.given...)
			ctx := context.Background()
			w.given(t, receipt("T-1", 500))
			res, err := w.cmds.Execute(ctx, statement("S-1", 100500, &opening), Meta{Actor: "service:ledger"})
			if err != nil {
				t.Fatal(err)
			}
			if got := len(res.EntryIDs) == 1; got != tt.wantOpening {
				t.Errorf("entries %v: opening balance booked %v, want %v", res.EntryIDs, got, tt.wantOpening)
			}
			again, err := w.cmds.Execute(ctx, statement("S-1", 100500, &opening), Meta{Actor: "service:ledger"})
			if err != nil || !again.Replayed {
				t.Errorf("the same statement again: %+v, %v; want a replay", again, err)
			}
			tx := w.stream(t, BankTransactionStream(tenant, "T-1"))
			st := w.stream(t, BankStatementStream(tenant, iban))
			if len(tx) != 2 {
				t.Errorf("transaction stream holds %d events, want CommandAccepted and the entry", len(tx))
			}
			if _, ok := st[len(st)-1].(*ledgerv1.StatementBalanceRecorded); !ok {
				t.Errorf("statement stream ends with %T, want the statement", st[len(st)-1])
			}
		})
	}
}

// TestStatementWithoutPostingsIsRefused checks that a Commander started
// without Postings refuses a statement with an opening balance rather than
// guessing, and records one without.
func TestStatementWithoutPostingsIsRefused(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	opening := int64(100)
	if _, err := w.cmds.Execute(context.Background(), statement("S-1", 100, &opening), Meta{}); err == nil {
		t.Error("statement with an opening balance booked without Postings")
	}
	if _, err := w.cmds.Execute(context.Background(), statement("S-1", 100, nil), Meta{}); err != nil {
		t.Errorf("statement without an opening balance: %v", err)
	}
}

// TestBankCommandsComeOnlyFromIngestion checks the reason a service gets
// when it sends a bank command itself.
func TestBankCommandsComeOnlyFromIngestion(t *testing.T) {
	t.Parallel()
	err := CheckSender("matching", &ledgerv1.RecordBankTransaction{})
	if !errors.Is(err, ErrSenderNotEntitled) || !strings.Contains(err.Error(), "only from ingestion's bank events") {
		t.Errorf("CheckSender = %v, want not entitled, booked only from ingestion's bank events", err)
	}
}

// TestStatementsOutOfOrder: statements recorded later one first. The
// earliest statement's opening balance opens the books, whichever
// arrived first: a statement that starts before every statement recorded
// for the IBAN books its opening balance and reverses the opening entry
// of the later one (whose opening balance already holds the earlier
// statement's transactions), once per step back; one that starts on or
// after a recorded statement's first day, or follows lines before its
// opening date, books none.
func TestStatementsOutOfOrder(t *testing.T) {
	t.Parallel()
	// day d's statement opens at opening and closes at closing, both on
	// 2026-11-d.
	day := func(key string, d int, opening, closing int64) *ledgerv1.RecordStatementBalance {
		return with(statement(key, closing, &opening), func(c *ledgerv1.RecordStatementBalance) {
			c.OpeningDate, c.ClosingDate = date(2026, 11, d), date(2026, 11, d)
		})
	}
	from := func(d int) AccountHistory { return AccountHistory{Posted: true, First: Date{2026, time.November, d}} }
	seq := func(c *ledgerv1.RecordStatementBalance, sequence string) *ledgerv1.RecordStatementBalance {
		return with(c, func(c *ledgerv1.RecordStatementBalance) { c.Sequence = sequence })
	}
	// The bank: 1,000.00 on the 17th, +5.00 on the 18th, +3.00 on the 19th.
	s17, s18, s19 := day("S-17", 17, 100000, 100000), day("S-18", 18, 100000, 100500), day("S-19", 19, 100500, 100800)
	tests := []struct {
		name    string
		given   []step
		when    *ledgerv1.RecordStatementBalance
		history AccountHistory
		wantBal map[string]int64
		// wantReplaced says whether the statement reverses an opening entry.
		wantReplaced bool
	}{
		{
			name: "the earlier statement after the later one opens the books on its own date", given: []step{statementStep(s19, AccountHistory{})},
			when: s18, history: from(19), wantBal: map[string]int64{"1200": 100000, "9000": -100000}, wantReplaced: true,
		},
		{
			name:  "two steps back: each earlier statement moves the opening again",
			given: []step{statementStep(s19, AccountHistory{}), statementStep(s18, from(19))},
			when:  s17, history: from(18), wantBal: map[string]int64{"1200": 100000, "9000": -100000}, wantReplaced: true,
		},
		{
			name: "a statement starting on the day of a recorded one books none", given: []step{statementStep(s18, AccountHistory{})},
			when: day("S-18b", 18, 100000, 100000), history: from(18), wantBal: map[string]int64{"1200": 100000, "9000": -100000},
		},
		{
			name:  "the day's first statement by sequence after its second opens the books",
			given: []step{statementStep(seq(day("S-18-2", 18, 100300, 100500), "00002/001"), AccountHistory{})},
			when:  seq(day("S-18-1", 18, 100000, 100300), "00001/001"), history: from(18),
			wantBal: map[string]int64{"1200": 100000, "9000": -100000}, wantReplaced: true,
		},
		{
			name:  "the day's second statement by sequence after its first books none",
			given: []step{statementStep(seq(day("S-18-1", 18, 100000, 100300), "223"), AccountHistory{})},
			when:  seq(day("S-18-2", 18, 100300, 100500), "224"), history: from(18),
			wantBal: map[string]int64{"1200": 100000, "9000": -100000},
		},
		{
			name:  "sequences of different forms do not order the day's statements",
			given: []step{statementStep(seq(day("S-18-2", 18, 100300, 100500), "00224/001"), AccountHistory{})},
			when:  seq(day("S-18-1", 18, 100000, 100300), "224"), history: from(18),
			wantBal: map[string]int64{"1200": 100300, "9000": -100300},
		},
		{
			name:  "sequences that are not numbers do not order the day's statements",
			given: []step{statementStep(seq(day("S-18-2", 18, 100300, 100500), "B"), AccountHistory{})},
			when:  seq(day("S-18-1", 18, 100000, 100300), "A"), history: from(18),
			wantBal: map[string]int64{"1200": 100300, "9000": -100300},
		},
		{
			name: "the later statement after the earlier one books none", given: []step{statementStep(s18, AccountHistory{})},
			when: s19, history: from(18), wantBal: map[string]int64{"1200": 100000, "9000": -100000},
		},
		{
			name: "an earlier statement after lines before its opening date books none", given: []step{statementStep(s19, AccountHistory{})},
			when: s18, history: from(10), wantBal: map[string]int64{"1200": 100500, "9000": -100500},
		},
		{
			name: "an earlier statement without an opening balance books none", given: []step{statementStep(s19, AccountHistory{})},
			when: with(s18, func(c *ledgerv1.RecordStatementBalance) { c.OpeningBalance, c.OpeningDate = nil, nil }), history: from(19),
			wantBal: map[string]int64{"1200": 100500, "9000": -100500},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			l := given(t, tt.given...)
			evs, err := run(t, l, statementStep(tt.when, tt.history))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.wantBal, balances(l)); diff != "" {
				t.Errorf("balances (-want +got):\n%s", diff)
			}
			var rec *ledgerv1.StatementBalanceRecorded
			var reversed []string
			for _, ev := range evs {
				switch e := ev.(type) {
				case *ledgerv1.StatementBalanceRecorded:
					rec = e
				case *ledgerv1.JournalEntryReversed:
					reversed = append(reversed, e.GetOriginalEntryId())
				}
			}
			if got := rec.GetReplacedOpeningEntryId() != ""; got != tt.wantReplaced || len(reversed) != map[bool]int{true: 1}[tt.wantReplaced] {
				t.Fatalf("replaced %q, reversed %v; want a replacement: %v", rec.GetReplacedOpeningEntryId(), reversed, tt.wantReplaced)
			}
			if tt.wantReplaced {
				if reversed[0] != rec.GetReplacedOpeningEntryId() {
					t.Errorf("reversed %s, but the statement says it replaced %s", reversed[0], rec.GetReplacedOpeningEntryId())
				}
				opening := l.entries[rec.GetOpeningEntryId()]
				if opening == nil || opening.EffectiveDate != DateOf(tt.when.GetOpeningDate()) || opening.ReversedBy != "" {
					t.Errorf("the new opening entry %+v, want it dated on the statement's opening date and standing", opening)
				}
			}
		})
	}
}

// TestStatementsOutOfOrderReconcile books three days of a bank account in
// the order a retried import can deliver them (the 19th, then the 18th,
// then the 17th, each statement's transactions before its balance): every
// statement then reconciles, its closing balance what the bank account
// holds on its closing date.
func TestStatementsOutOfOrderReconcile(t *testing.T) {
	t.Parallel()
	on := func(d int) func(*ledgerv1.RecordBankTransaction) {
		return func(c *ledgerv1.RecordBankTransaction) {
			c.BookingDate, c.ValueDate = date(2026, 11, d), date(2026, 11, d)
		}
	}
	day := func(key string, d int, opening, closing int64) *ledgerv1.RecordStatementBalance {
		return with(statement(key, closing, &opening), func(c *ledgerv1.RecordStatementBalance) {
			c.OpeningDate, c.ClosingDate = date(2026, 11, d), date(2026, 11, d)
		})
	}
	l := given(t)
	// history is what the Commander's Postings would say of 1200 now.
	history := func() AccountHistory {
		var h AccountHistory
		for _, en := range l.Entries() {
			for _, g := range en.Legs {
				if g.Account == "1200" && (!h.Posted || en.EffectiveDate.Compare(h.First) < 0) {
					h = AccountHistory{Posted: true, First: en.EffectiveDate}
				}
			}
		}
		return h
	}
	for _, s := range []step{
		bankStep(with(receipt("T-19", 300), on(19))),
		func(l *Ledger) ([]proto.Message, error) {
			return l.RecordStatementBalance(day("S-19", 19, 100700, 101000), history(), origin())
		},
		bankStep(with(receipt("T-18", 500), on(18))),
		bankStep(with(receipt("T-18b", 200), on(18))),
		func(l *Ledger) ([]proto.Message, error) {
			return l.RecordStatementBalance(day("S-18", 18, 100000, 100700), history(), origin())
		},
		func(l *Ledger) ([]proto.Message, error) {
			return l.RecordStatementBalance(day("S-17", 17, 100000, 100000), history(), origin())
		},
	} {
		if _, err := run(t, l, s); err != nil {
			t.Fatal(err)
		}
	}
	for _, st := range l.Statements() {
		var booked int64
		for _, en := range l.Entries() {
			if en.EffectiveDate.Compare(st.ClosingDate) > 0 {
				continue
			}
			for _, g := range en.Legs {
				if g.Account == "1200" {
					booked += g.Minor
				}
			}
		}
		if booked != st.Closing {
			t.Errorf("statement %s closes on %s at %d, the bank account holds %d", st.StatementKey, st.ClosingDate, st.Closing, booked)
		}
	}
	if diff := cmp.Diff(map[string]int64{"1200": 101000, "9000": -100000, "1591": -1000}, balances(l)); diff != "" {
		t.Errorf("balances (-want +got):\n%s", diff)
	}
}
