package demo

import (
	"context"
	_ "embed" // the demo's bank files
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"

	ingestionv1 "github.com/o2c-platform/o2c/proto/o2c/ingestion/v1"
	"github.com/o2c-platform/o2c/proto/o2c/ingestion/v1/ingestionv1grpc"
	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"
	"github.com/o2c-platform/o2c/proto/o2c/ledger/v1/ledgerv1grpc"

	"github.com/o2c-platform/o2c/cmd/o2c/internal/table"
	"github.com/o2c-platform/o2c/cmd/o2c/internal/upload"
	"github.com/o2c-platform/o2c/libs/bus"
	ingestion "github.com/o2c-platform/o2c/services/ingestion/service"
)

// The demo's bank files: the final statement of 18 November 2026 of the
// demo's bank account, and the Amazon settlement report whose payout it
// credits.
var (
	//go:embed testdata/camt053_demo_2026-11-18.xml
	statementData []byte
	//go:embed testdata/amazon_settlement_24601357902.txt
	settlementData []byte
)

// BankFile is a file the demo imports.
type BankFile struct {
	Name string
	Data []byte
}

// BankFiles returns the files the demo imports, in order: a camt.053 of
// the demo's account (receipts that pay invoices by their number, K-1001's
// transfer that names no invoice, the Amazon payout, a payer the shop does
// not know, and the rent, which the tenant's outgoing rule classifies),
// and the Amazon settlement report behind the payout.
func BankFiles() []BankFile {
	return []BankFile{
		{Name: "camt053_demo_2026-11-18.xml", Data: statementData},
		{Name: "amazon_settlement_24601357902.txt", Data: settlementData},
	}
}

// What the demo's bank files hold.
const (
	// StatementTransactions is the number of transactions of the statement.
	StatementTransactions = 5
	// StatementClosing is its closing booked balance in cents: the opening
	// 12,500.00 and its five entries.
	StatementClosing = 1347175
	// StatementID is the statement's id (camt Stmt/Id).
	StatementID = "DEMO-STMT-2026-11-18"
	// SettlementID is the Amazon settlement report's id.
	SettlementID = "24601357902"
)

// ImportBankFiles imports BankFiles through ingestion's ImportService, as
// `o2c import` does, and returns the answers in order.
func ImportBankFiles(ctx context.Context, conn *grpc.ClientConn) ([]*ingestionv1.ImportResponse, error) {
	client := ingestionv1grpc.NewImportServiceClient(conn)
	var out []*ingestionv1.ImportResponse
	for _, f := range BankFiles() {
		resp, err := importFile(ctx, client, f)
		if err != nil {
			return nil, fmt.Errorf("import %s: %w", f.Name, err)
		}
		out = append(out, resp)
	}
	return out, nil
}

// importFile streams one file: a header, then its bytes in chunks.
func importFile(ctx context.Context, client ingestionv1grpc.ImportServiceClient, f BankFile) (*ingestionv1.ImportResponse, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stream, err := client.Import(ctx)
	if err != nil {
		return nil, err
	}
	msgs := []*ingestionv1.ImportRequest{{Tenant: Tenant, Part: &ingestionv1.ImportRequest_Header{
		Header: &ingestionv1.ImportHeader{Tenant: Tenant, FileName: f.Name, Size: int64(len(f.Data))}}}}
	const chunk = 64 << 10
	for off := 0; off < len(f.Data); off += chunk {
		msgs = append(msgs, &ingestionv1.ImportRequest{Tenant: Tenant, Part: &ingestionv1.ImportRequest_Chunk{
			Chunk: &ingestionv1.ImportChunk{Data: f.Data[off:min(off+chunk, len(f.Data))]}}})
	}
	for _, m := range msgs {
		if err := stream.Send(m); err != nil {
			if errors.Is(err, io.EOF) {
				break // the server ended the stream; Finish says why
			}
			return nil, err
		}
	}
	return upload.Finish(stream, nil)
}

// PrintImports writes one line per imported file, as `o2c import` does.
func PrintImports(w io.Writer, files []BankFile, resps []*ingestionv1.ImportResponse) {
	for i, r := range resps {
		c := r.GetCounts()
		fmt.Fprintf(w, "%s  %s  %s  %d new, %d duplicate, %d rejected", files[i].Name, r.GetFormat(),
			strings.TrimPrefix(r.GetStatus().String(), "IMPORT_STATUS_"), c.GetNew(), c.GetDuplicate(), c.GetRejected())
		if r.GetError() != "" {
			fmt.Fprintf(w, ": %s", r.GetError())
		}
		fmt.Fprintln(w)
	}
}

// BankEvents are the demo tenant's bank events as the rest of o2c reads
// them from JetStream.
type BankEvents struct {
	Transactions []*ingestionv1.BankTransactionReceived
	Statements   []*ingestionv1.BankStatementReceived
	Settlements  []*ingestionv1.SettlementReportReceived
}

func eventSubject(m proto.Message) string {
	return bus.ServiceSubject(Tenant, ingestion.Name, bus.EventName(string(m.ProtoReflect().Descriptor().FullName())))
}

// ReadBankEvents reads the demo tenant's relayed bank events from
// ingestion's stream until it has at least transactions bank transactions,
// statements statements and settlements settlement reports.
func ReadBankEvents(ctx context.Context, js jetstream.JetStream, transactions, statements, settlements int) (*BankEvents, error) {
	ev, err := ReadBankEventsUntil(ctx, js, func(ev *BankEvents) bool {
		return len(ev.Transactions) >= transactions && len(ev.Statements) >= statements && len(ev.Settlements) >= settlements
	})
	if err != nil {
		return nil, fmt.Errorf("waiting for %d bank transactions, %d statements and %d settlement reports (have %d, %d, %d): %w",
			transactions, statements, settlements, len(ev.Transactions), len(ev.Statements), len(ev.Settlements), err)
	}
	return ev, nil
}

// ReadBankEventsUntil reads the demo tenant's relayed bank events from
// ingestion's stream, from its start, until done says it has what it
// needs; on an error it returns what it read with the error.
func ReadBankEventsUntil(ctx context.Context, js jetstream.JetStream, done func(*BankEvents) bool) (*BankEvents, error) {
	txSubj := eventSubject(&ingestionv1.BankTransactionReceived{})
	stSubj := eventSubject(&ingestionv1.BankStatementReceived{})
	setSubj := eventSubject(&ingestionv1.SettlementReportReceived{})
	cons, err := js.OrderedConsumer(ctx, bus.ServiceStream(ingestion.Name), jetstream.OrderedConsumerConfig{
		FilterSubjects: []string{txSubj, stSubj, setSubj},
	})
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", bus.ServiceStream(ingestion.Name), err)
	}
	ev := &BankEvents{}
	err = poll(ctx, func() (bool, error) {
		batch, err := cons.Fetch(100, jetstream.FetchMaxWait(200*time.Millisecond))
		if err != nil {
			return false, err
		}
		for m := range batch.Messages() {
			var dst proto.Message
			switch m.Subject() {
			case txSubj:
				tx := &ingestionv1.BankTransactionReceived{}
				ev.Transactions, dst = append(ev.Transactions, tx), tx
			case stSubj:
				st := &ingestionv1.BankStatementReceived{}
				ev.Statements, dst = append(ev.Statements, st), st
			case setSubj:
				s := &ingestionv1.SettlementReportReceived{}
				ev.Settlements, dst = append(ev.Settlements, s), s
			default:
				continue
			}
			if err := proto.Unmarshal(m.Data(), dst); err != nil {
				return false, fmt.Errorf("%s: %w", m.Subject(), err)
			}
		}
		return done(ev), batch.Error()
	})
	return ev, err
}

// Counterparties resolves the counterparty ids of txs to their names in
// ingestion's master data (the events carry ids only).
func Counterparties(ctx context.Context, conn *grpc.ClientConn, txs []*ingestionv1.BankTransactionReceived) (map[string]string, error) {
	var ids []string
	for _, tx := range txs {
		if tx.GetCounterpartyId() != "" {
			ids = append(ids, tx.GetCounterpartyId())
		}
	}
	resp, err := ingestionv1grpc.NewImportServiceClient(conn).GetCounterparties(ctx, &ingestionv1.GetCounterpartiesRequest{Tenant: Tenant, Ids: ids})
	if err != nil {
		return nil, fmt.Errorf("counterparties: %w", err)
	}
	names := map[string]string{}
	for _, c := range resp.GetCounterparties() {
		names[c.GetId()] = c.GetName()
	}
	return names, nil
}

// classification says what a bank transaction is, for people.
func classification(tx *ingestionv1.BankTransactionReceived) string {
	switch tx.GetClassification() {
	case ingestionv1.BankTransactionClassification_BANK_TRANSACTION_CLASSIFICATION_RECEIPT:
		return "receipt"
	case ingestionv1.BankTransactionClassification_BANK_TRANSACTION_CLASSIFICATION_RETURN:
		return "return"
	case ingestionv1.BankTransactionClassification_BANK_TRANSACTION_CLASSIFICATION_OUTGOING_CLASSIFIED:
		return "outgoing, rule " + tx.GetRule()
	case ingestionv1.BankTransactionClassification_BANK_TRANSACTION_CLASSIFICATION_OUTGOING_UNCLASSIFIED:
		return "outgoing, unclassified"
	case ingestionv1.BankTransactionClassification_BANK_TRANSACTION_CLASSIFICATION_INCOMING_CLASSIFIED:
		return "incoming, rule " + tx.GetRule()
	}
	return "-"
}

// PrintBankTransactions writes the normalized bank transactions as a
// table, in the order given, with each counterparty's name from names.
func PrintBankTransactions(w io.Writer, txs []*ingestionv1.BankTransactionReceived, names map[string]string) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "BOOKED\t      AMOUNT\tCUR\tCLASSIFICATION\tBOOKS\tCOUNTERPARTY\tREFERENCE\tREMITTANCE")
	for _, tx := range txs {
		a := tx.GetAmount()
		books := "no"
		if tx.GetBooks() {
			books = "yes"
		}
		ref := tx.GetEndToEndId()
		if ref == "NOTPROVIDED" {
			ref = ""
		}
		fmt.Fprintf(tw, "%s\t%12s\t%s\t%s\t%s\t%s\t%s\t%s\n", table.Date(tx.GetBookingDate()), table.Money(a.GetMinorUnits(), a.GetCurrency()),
			a.GetCurrency(), classification(tx), books, orDash(names[tx.GetCounterpartyId()]), orDash(ref), tx.GetRemittance())
	}
	tw.Flush()
	fmt.Fprintln(w, table.Count(len(txs), "bank transaction"))
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// PrintSettlements writes one line per settlement report.
func PrintSettlements(w io.Writer, ss []*ingestionv1.SettlementReportReceived) {
	for _, s := range ss {
		t := s.GetTotal()
		fmt.Fprintf(w, "Settlement %s (%s), %s to %s, deposited %s: %s, total %s %s\n", s.GetSettlementId(), s.GetMarketplace(),
			table.Date(s.GetStartDate()), table.Date(s.GetEndDate()), table.Date(s.GetDepositDate()),
			table.Count(int(s.GetLineCount()), "amount line"), table.Money(t.GetMinorUnits(), t.GetCurrency()), t.GetCurrency())
	}
}

// WaitForReconciliation polls the ledger until it has recorded the demo
// statement's closing balance and the bank account's booked balance equals
// it (the ledger books the statement's transactions as they arrive), and
// returns the demo tenant's reconciliations. A difference that stays is
// returned with the error.
func WaitForReconciliation(ctx context.Context, conn *grpc.ClientConn) ([]*ledgerv1.BankReconciliation, error) {
	var recs []*ledgerv1.BankReconciliation
	_, err := reconciled(ctx, conn, StatementID, &recs)
	return recs, err
}

// waitReconciled polls the ledger until the demo bank account's statement
// id reconciles and returns its reconciliation.
func waitReconciled(ctx context.Context, conn *grpc.ClientConn, id string) (*ledgerv1.BankReconciliation, error) {
	var recs []*ledgerv1.BankReconciliation
	return reconciled(ctx, conn, id, &recs)
}

// reconciled polls until statement id reconciles, leaving the last
// reconciliations in recs.
func reconciled(ctx context.Context, conn *grpc.ClientConn, id string, recs *[]*ledgerv1.BankReconciliation) (*ledgerv1.BankReconciliation, error) {
	client := ledgerv1grpc.NewLedgerQueryServiceClient(conn)
	var found *ledgerv1.BankReconciliation
	err := poll(ctx, func() (bool, error) {
		resp, err := client.ListBankReconciliations(ctx, &ledgerv1.ListBankReconciliationsRequest{Tenant: Tenant, Iban: DemoIBAN})
		if err != nil {
			return false, err
		}
		*recs = resp.GetReconciliations()
		for _, r := range *recs {
			if r.GetStatementId() == id && r.GetDifference().GetMinorUnits() == 0 {
				found = r
				return true, nil
			}
		}
		return false, nil
	})
	if err != nil {
		return nil, fmt.Errorf("waiting for statement %s to reconcile (have %v): %w", id, *recs, err)
	}
	return found, nil
}
