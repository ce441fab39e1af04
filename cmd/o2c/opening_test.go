package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	commonv1 "github.com/o2c-platform/o2c/proto/o2c/common/v1"
	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"
	"github.com/o2c-platform/o2c/proto/o2c/ledger/v1/ledgerv1grpc"
	"github.com/o2c-platform/o2c/proto/o2c/rejection/v1/rejectionv1grpc"

	"github.com/o2c-platform/o2c/cmd/o2c/internal/opening"
)

// openingLedger is an in-memory ledger for load-opening: it books
// RecordOpeningBalance idempotently by key and content as the ledger does
// (the same command again is replayed, another under a used key is
// ALREADY_EXISTS) and answers the queries load-opening asks with what it
// booked. Its journal lines carry the ledger's posting text.
type openingLedger struct {
	ledgerv1grpc.UnimplementedLedgerServiceServer
	ledgerv1grpc.UnimplementedLedgerQueryServiceServer
	ledgerv1grpc.UnimplementedLedgerCommandServiceServer
	rejectionv1grpc.UnimplementedRejectionServiceServer

	mu      sync.Mutex
	booked  map[string]*ledgerv1.RecordOpeningBalance // by idempotency key
	order   []string
	settled map[string]bool // keys whose item is no longer open
	calls   int             // RecordOpeningBalance calls
	// invoices are other journal lines (debtor legs of invoices).
	invoices []*ledgerv1.JournalListingLine
}

func newOpeningLedger() *openingLedger {
	return &openingLedger{booked: map[string]*ledgerv1.RecordOpeningBalance{}, settled: map[string]bool{}}
}

func (l *openingLedger) RecordOpeningBalance(_ context.Context, req *ledgerv1.RecordOpeningBalanceRequest) (*ledgerv1.RecordOpeningBalanceResponse, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.calls++
	c := req.GetCommand()
	if prev, ok := l.booked[c.GetIdempotencyKey()]; ok {
		if !proto.Equal(prev, c) {
			return nil, status.Errorf(codes.AlreadyExists, "RecordOpeningBalance %s: idempotency key already used for a different command", c.GetIdempotencyKey())
		}
		return &ledgerv1.RecordOpeningBalanceResponse{Result: &ledgerv1.CommandResult{Replayed: true}}, nil
	}
	l.booked[c.GetIdempotencyKey()] = proto.Clone(c).(*ledgerv1.RecordOpeningBalance)
	l.order = append(l.order, c.GetIdempotencyKey())
	return &ledgerv1.RecordOpeningBalanceResponse{Result: &ledgerv1.CommandResult{}}, nil
}

func (l *openingLedger) ListJournalLines(_ context.Context, req *ledgerv1.ListJournalLinesRequest) (*ledgerv1.ListJournalLinesResponse, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	resp := &ledgerv1.ListJournalLinesResponse{}
	for _, k := range l.order {
		c := l.booked[k]
		if c.GetDebtorId() == req.GetDebtorId() && c.GetDocumentNumber() == req.GetDocumentNumber() {
			resp.Lines = append(resp.Lines, &ledgerv1.JournalListingLine{
				Account: "10000", DebtorId: c.GetDebtorId(), Amount: c.GetAmount(), EffectiveDate: c.GetBookingDate(),
				DocumentNumber: c.GetDocumentNumber(), Text: opening.EntryText + c.GetDocumentNumber(),
			})
		}
	}
	for _, line := range l.invoices {
		if line.GetDebtorId() == req.GetDebtorId() && line.GetDocumentNumber() == req.GetDocumentNumber() {
			resp.Lines = append(resp.Lines, line)
		}
	}
	return resp, nil
}

func (l *openingLedger) items(debtor string, open func(key string) bool) []*ledgerv1.OpenItem {
	var out []*ledgerv1.OpenItem
	for _, k := range l.order {
		c := l.booked[k]
		if c.GetDebtorId() == debtor && open(k) {
			out = append(out, &ledgerv1.OpenItem{DebtorId: debtor, DocumentNumber: c.GetDocumentNumber(), Amount: c.GetAmount(), OpenAmount: c.GetAmount(),
				DocumentDate: c.GetDocumentDate(), DueDate: c.GetDueDate(), PaymentReference: c.GetPaymentReference()})
		}
	}
	return out
}

func (l *openingLedger) ListOpenItems(_ context.Context, req *ledgerv1.ListOpenItemsRequest) (*ledgerv1.ListOpenItemsResponse, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return &ledgerv1.ListOpenItemsResponse{OpenItems: l.items(req.GetDebtorId(), func(k string) bool { return !l.settled[k] })}, nil
}

func (l *openingLedger) ListOpenItemsAtKeyDate(_ context.Context, req *ledgerv1.ListOpenItemsAtKeyDateRequest) (*ledgerv1.ListOpenItemsAtKeyDateResponse, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return &ledgerv1.ListOpenItemsAtKeyDateResponse{OpenItems: l.items(req.GetDebtorId(), func(string) bool { return true })}, nil
}

func (l *openingLedger) bookCalls() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.calls
}

func writeFile(t testing.TB, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

const openingHeader = "debtor_id,document_number,document_date,due_date,currency,amount,payment_reference,vat_rate_bp,vat_amount\n"

// loadOpening runs `o2c ledger load-opening` against the ledger at addr.
func loadOpening(t testing.TB, addr, file string, extra ...string) (int, string, string) {
	t.Helper()
	return runCLI(t, append([]string{"ledger", "load-opening", file, "--tenant", "acme", "--booking-date", "2026-01-01", "--ledger", addr}, extra...)...)
}

func TestLoadOpeningDryRunComparesWithWhatIsBooked(t *testing.T) {
	t.Parallel()
	l := newOpeningLedger()
	addr := serveGRPC(t, l)
	first := writeFile(t, "first.csv", openingHeader+
		"K-1,RE-1001,2025-12-01,2025-12-31,EUR,119.00,RE-1001,1900,19.00\n"+
		"K-1,RE-1002,2025-12-05,2026-01-04,EUR,50.00,,,\n"+
		"K-2,RE-1003,2025-12-10,2026-01-09,EUR,10.00,,,\n")
	if code, stdout, stderr := loadOpening(t, addr, first, "--dry-run"); code != 0 || !strings.Contains(stdout, "3 opening items are valid: 3 to book, 0 already booked as in the file; nothing booked (--dry-run)") {
		t.Fatalf("dry run of a new file: exit %d\n%s%s", code, stdout, stderr)
	}
	if n := l.bookCalls(); n != 0 {
		t.Fatalf("the dry run booked %d items", n)
	}
	if code, stdout, stderr := loadOpening(t, addr, first); code != 0 || !strings.Contains(stdout, "3 opening items booked, 0 were already booked") {
		t.Fatalf("booking: exit %d\n%s%s", code, stdout, stderr)
	}
	l.mu.Lock()
	l.settled["opening:K-2:RE-1003"] = true // paid since: listed only at its booking date
	l.mu.Unlock()

	// The previous system changed row 2 (line 3) and the due date of line
	// 4; line 2 stays; a new row follows.
	changed := writeFile(t, "changed.csv", openingHeader+
		"K-1,RE-1001,2025-12-01,2025-12-31,EUR,119.00,RE-1001,1900,19.00\n"+
		"K-1,RE-1002,2025-12-05,2026-01-04,EUR,52.50,,,\n"+
		"K-2,RE-1003,2025-12-10,2026-01-19,EUR,10.00,,,\n"+
		"K-3,RE-1004,2026-01-05,2026-02-04,EUR,30.00,,,\n")
	for _, dry := range []bool{true, false} {
		args := []string{}
		if dry {
			args = append(args, "--dry-run")
		}
		code, stdout, stderr := loadOpening(t, addr, changed, args...)
		for _, want := range []string{
			"nothing was booked",
			"2 rows differ from what the ledger booked under the same debtor and document number:",
			"line 3 (debtor K-1, RE-1002): booked 50.00 EUR, the file says 52.50 EUR",
			"line 4 (debtor K-2, RE-1003): due date: booked 2026-01-09, the file says 2026-01-19",
			"Correct each row to match what is booked; or, when the file is right, leave the row as booked and book the difference as a separate document",
			// The new row is dated after the booking date.
			"warning: line 5 (debtor K-3, RE-1004): the document date 2026-01-05 is after the booking date 2026-01-01",
		} {
			if !strings.Contains(stderr, want) {
				t.Errorf("dry run %v: stderr lacks %q:\n%s", dry, want, stderr)
			}
		}
		if code != 1 || stdout != "" || strings.Contains(stderr, "line 2 ") {
			t.Errorf("dry run %v: exit %d, stdout %q; want 1, nothing printed as done and the unchanged line 2 not named:\n%s", dry, code, stdout, stderr)
		}
	}
	if n := l.bookCalls(); n != 3 {
		t.Errorf("%d booking calls, want the 3 of the first run: a file with conflicts books nothing", n)
	}
}

func TestLoadOpeningSaysWhatToDoWhenTheLedgerRefusesARow(t *testing.T) {
	t.Parallel()
	l := newOpeningLedger()
	addr := serveGRPC(t, l)
	booked := writeFile(t, "booked.csv", openingHeader+"K-1,RE-1001,2025-12-01,2025-12-31,EUR,119.00,RE-1001,1900,19.00\n")
	if code, _, stderr := loadOpening(t, addr, booked); code != 0 {
		t.Fatalf("booking: %s", stderr)
	}
	// Only the VAT split changed: no report shows it, so the dry run
	// passes and the ledger refuses the row.
	vat := writeFile(t, "vat.csv", openingHeader+
		"K-0,RE-0999,2025-11-01,2025-11-30,EUR,10.00,,,\n"+
		"K-1,RE-1001,2025-12-01,2025-12-31,EUR,119.00,RE-1001,700,19.00\n")
	if code, stdout, stderr := loadOpening(t, addr, vat, "--dry-run"); code != 0 || !strings.Contains(stdout, "1 to book, 1 already booked as in the file") {
		t.Errorf("dry run: exit %d\n%s%s", code, stdout, stderr)
	}
	code, _, stderr := loadOpening(t, addr, vat)
	for _, want := range []string{
		"line 3 (debtor K-1, RE-1001) was booked before with other content: the difference is in the VAT (vat_rate_bp, vat_amount), which the ledger's reports do not show; 1 item booked before it.",
		"book the difference as a separate document",
		"Then run the command again: rows already booked are skipped",
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	if code != 1 || strings.Contains(stderr, "rpc error") {
		t.Errorf("exit %d, stderr %q; want 1 without rpc internals", code, stderr)
	}
}

func TestLoadOpeningWarnsOfTheSameDocumentBookedOtherwise(t *testing.T) {
	t.Parallel()
	l := newOpeningLedger()
	l.invoices = []*ledgerv1.JournalListingLine{{DebtorId: "K-1", DocumentNumber: "RE-1001", Text: "Rechnung RE-1001",
		Amount: &commonv1.Money{MinorUnits: 11900, Currency: "EUR"}, EffectiveDate: &commonv1.Date{Year: 2026, Month: 1, Day: 1}}}
	addr := serveGRPC(t, l)
	file := writeFile(t, "f.csv", openingHeader+"K-1,RE-1001,2025-12-01,2025-12-31,EUR,119.00,,,\n")
	code, _, stderr := loadOpening(t, addr, file, "--dry-run")
	if want := "warning: line 2 (debtor K-1, RE-1001): the ledger already has RE-1001 for this debtor as another document (119.00 EUR on 2026-01-01)"; code != 0 || !strings.Contains(stderr, want) {
		t.Errorf("exit %d, stderr %q; want 0 and %q", code, stderr, want)
	}
}

func TestLoadOpeningDryRunNeedsTheLedger(t *testing.T) {
	t.Parallel()
	addr := nothingListening(t)
	file := writeFile(t, "f.csv", openingHeader+"K-1,RE-1001,2025-12-01,2025-12-31,EUR,119.00,,,\n")
	code, _, stderr := loadOpening(t, addr, file, "--dry-run")
	if want := "the file is valid (1 opening item), but it could not be compared with what is booked: "; code != 1 || !strings.Contains(stderr, want) ||
		!strings.Contains(stderr, "cannot reach the ledger at "+addr) {
		t.Errorf("exit %d, stderr %q; want 1, %q and the hint to start the ledger", code, stderr, want)
	}
}
