package intake

import (
	"strings"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	commonv1 "github.com/o2c-platform/o2c/proto/o2c/common/v1"
	ingestionv1 "github.com/o2c-platform/o2c/proto/o2c/ingestion/v1"

	"github.com/o2c-platform/o2c/libs/eventstore/es"
	"github.com/o2c-platform/o2c/libs/formats/amazon/settlement"
)

// Stream types of the import's events. Every event is the only one of its
// stream, so that a batch of them is appended in one statement and a
// replay of any of them is recognised by its id alone.
const (
	StreamTransaction = "bank-transaction"
	StreamStatement   = "bank-statement"
	StreamLink        = "bank-notification-link"
	StreamSettlement  = "settlement-report"
	StreamLines       = "settlement-lines"
)

// Marketplace is the marketplace whose settlement reports the import reads.
const Marketplace = "amazon"

// MaxStatementIDs is the most transaction ids a BankStatementReceived
// lists; a statement that books more lists none and says so
// (transaction_ids_omitted), since the event would not fit a message.
const MaxStatementIDs = 10_000

// LinesPerEvent is the most settlement lines one SettlementLinesReceived
// carries.
const LinesPerEvent = 500

// fileInfo is what every event's provenance says about the file.
type fileInfo struct {
	sha, name, format, actor string
}

func (f fileInfo) provenance() *ingestionv1.Provenance {
	return &ingestionv1.Provenance{FileSha256: f.sha, FileName: f.name, Format: f.format}
}

// date converts YYYY-MM-DD to a Date, nil for "" or anything else.
func date(s string) *commonv1.Date {
	t, ok := parseDate(s)
	if !ok {
		return nil
	}
	return &commonv1.Date{Year: int32(t.Year()), Month: int32(t.Month()), Day: int32(t.Day())}
}

func parseDate(s string) (time.Time, bool) {
	if len(s) < 10 {
		return time.Time{}, false
	}
	t, err := time.Parse("2006-01-02", s[:10])
	return t, err == nil
}

// occurredAt is the business time of a transaction: its booking date, else
// its value date, else the statement's date, else now, at midnight UTC.
func occurredAt(now time.Time, dates ...string) time.Time {
	for _, d := range dates {
		if t, ok := parseDate(d); ok {
			return t
		}
	}
	return now.UTC()
}

func money(minor int64, currency string) *commonv1.Money {
	return &commonv1.Money{MinorUnits: minor, Currency: currency}
}

// transactionEvent is the BankTransactionReceived of t, read from
// statement s of the file.
func transactionEvent(tenant string, f fileInfo, s *Statement, t *Transaction, id, counterparty string,
	class ingestionv1.BankTransactionClassification, rule, detailOf string, books bool, now time.Time) Event {
	currency := t.Currency
	if currency == "" {
		currency = s.Currency
	}
	p := f.provenance()
	p.StatementId, p.StatementSequence = s.ID, s.Sequence
	p.EntryIndex, p.TransactionIndex, p.Line = int32(t.EntryIndex), int32(t.TxIndex), int32(t.Line)
	p.Fingerprint = t.Fingerprint
	ev := &ingestionv1.BankTransactionReceived{
		Tenant: tenant, TransactionId: id, AccountIban: s.Account, Currency: currency,
		Amount: money(t.Amount, currency), BookingDate: date(t.BookingDate), ValueDate: date(t.ValueDate),
		Status: t.Status, Reversal: t.Reversal,
		EndToEndId: t.EndToEndID, MandateId: t.MandateID, CreditorId: t.CreditorID,
		BankReference: t.BankReference, EntryReference: t.EntryReference, TxId: t.TxID, InstructionId: t.InstructionID,
		Remittance: t.Remittance, CreditorReferences: t.CreditorReferences, CounterpartyId: counterparty,
		ReturnReason: t.ReturnReason, BankTxCode: t.BankTxCode, BookingText: t.BookingText,
		Classification: class, Rule: rule, StatementKey: s.Key(), Provenance: p, DetailOf: detailOf, Books: books,
	}
	if t.Charges != 0 {
		ev.Charges = money(t.Charges, currency)
	}
	return Event{
		Stream:     es.StreamID{Tenant: tenant, Type: StreamTransaction, ID: id},
		ID:         transactionEventID(tenant, id),
		OccurredAt: occurredAt(now, t.BookingDate, t.ValueDate, s.Date()),
		Actor:      f.actor, CorrelationID: f.sha, Payload: ev,
	}
}

// statementTally is what a statement booked, counted as its transactions
// were decided.
type statementTally struct {
	ids              []string
	omitted          bool
	count            int
	sum              int64
	newN, duplicateN int
}

func (t *statementTally) book(id string, amount int64) {
	t.count++
	t.sum += amount
	if t.omitted {
		return
	}
	if len(t.ids) == MaxStatementIDs {
		t.ids, t.omitted = nil, true
		return
	}
	t.ids = append(t.ids, id)
}

// statementEvent is the BankStatementReceived of s.
func statementEvent(tenant string, f fileInfo, s *Statement, tally *statementTally, now time.Time) Event {
	key := s.Key()
	p := f.provenance()
	p.StatementId, p.StatementSequence, p.Line = s.ID, s.Sequence, int32(s.Line)
	ev := &ingestionv1.BankStatementReceived{
		Tenant: tenant, StatementKey: key, Kind: statementKind(s.Kind), AccountIban: s.Account, Currency: s.Currency,
		StatementId: s.ID, Sequence: s.Sequence, Created: created(s.Created),
		TransactionIds: tally.ids, NewCount: int32(tally.newN), DuplicateCount: int32(tally.duplicateN),
		Provenance: p, TransactionCount: int32(tally.count), BookedSum: money(tally.sum, s.Currency),
		TransactionIdsOmitted: tally.omitted,
	}
	if s.Opening != nil {
		ev.OpeningBooked, ev.HasOpeningBooked = money(s.Opening.Amount, s.Currency), true
		ev.OpeningDate = date(s.Opening.Date)
	}
	if s.Closing != nil {
		ev.ClosingBooked, ev.HasClosingBooked = money(s.Closing.Amount, s.Currency), true
		ev.ClosingDate = date(s.Closing.Date)
	}
	id := statementEventID(tenant, key, f.sha)
	return Event{
		Stream:     es.StreamID{Tenant: tenant, Type: StreamStatement, ID: id.String()},
		ID:         id,
		OccurredAt: occurredAt(now, s.Date()),
		Actor:      f.actor, CorrelationID: f.sha, Payload: ev,
	}
}

func statementKind(k StatementKind) ingestionv1.BankStatementKind {
	switch k {
	case Final:
		return ingestionv1.BankStatementKind_BANK_STATEMENT_KIND_FINAL
	case Intraday:
		return ingestionv1.BankStatementKind_BANK_STATEMENT_KIND_INTRADAY
	case Notification:
		return ingestionv1.BankStatementKind_BANK_STATEMENT_KIND_NOTIFICATION
	}
	return ingestionv1.BankStatementKind_BANK_STATEMENT_KIND_UNSPECIFIED
}

// created reads camt CreDtTm (an ISO 8601 date-time, with or without
// offset; without one it is taken as UTC), nil when it is not one.
func created(s string) *timestamppb.Timestamp {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999"} {
		if t, err := time.Parse(layout, s); err == nil {
			return timestamppb.New(t)
		}
	}
	return nil
}

// linkEvent is the BankNotificationLinked of a notification transaction
// found to detail the booked transaction detailOf, read from statement s.
func linkEvent(tenant string, f fileInfo, s *Statement, t *Transaction, notice, detailOf string, now time.Time) Event {
	p := f.provenance()
	p.StatementId, p.StatementSequence = s.ID, s.Sequence
	p.EntryIndex, p.TransactionIndex, p.Line, p.Fingerprint = int32(t.EntryIndex), int32(t.TxIndex), int32(t.Line), t.Fingerprint
	id := linkEventID(tenant, notice, detailOf)
	return Event{
		Stream:     es.StreamID{Tenant: tenant, Type: StreamLink, ID: id.String()},
		ID:         id,
		OccurredAt: occurredAt(now, t.BookingDate, t.ValueDate, s.Date()),
		Actor:      f.actor, CorrelationID: f.sha,
		Payload: &ingestionv1.BankNotificationLinked{
			Tenant: tenant, TransactionId: notice, DetailOf: detailOf, AccountIban: s.Account, Provenance: p,
		},
	}
}

// settlementEvent is the SettlementReportReceived of s, whose lines follow
// in batches.
func settlementEvent(tenant string, f fileInfo, s *Settlement, now time.Time) Event {
	p := f.provenance()
	p.StatementId, p.Line = s.ID, int32(s.Line)
	batches := (s.LineCount + LinesPerEvent - 1) / LinesPerEvent
	ev := &ingestionv1.SettlementReportReceived{
		Tenant: tenant, SettlementId: s.ID, Marketplace: Marketplace,
		StartDate: instantDate(s.Start), EndDate: instantDate(s.End), DepositDate: date(s.DepositDate),
		HasTotal: s.HasTotal, Currency: s.Currency, LineCount: int32(s.LineCount), BatchCount: int32(batches),
		Provenance: p,
	}
	if s.HasTotal {
		ev.Total = money(s.Total, s.Currency)
	}
	if !s.SumOverflow {
		ev.LinesSum = money(s.Sum, s.Currency)
	}
	id := settlementEventID(tenant, Marketplace, s.ID)
	at := s.End
	if t, ok := parseDate(s.DepositDate); ok {
		at = t
	}
	if at.IsZero() {
		at = now.UTC()
	}
	return Event{
		Stream:     es.StreamID{Tenant: tenant, Type: StreamSettlement, ID: Marketplace + "/" + s.ID},
		ID:         id,
		OccurredAt: at,
		Actor:      f.actor, CorrelationID: f.sha, Payload: ev,
	}
}

func instantDate(t time.Time) *commonv1.Date {
	if t.IsZero() {
		return nil
	}
	t = t.UTC()
	return &commonv1.Date{Year: int32(t.Year()), Month: int32(t.Month()), Day: int32(t.Day())}
}

// settlementLine is the proto form of one report line.
func settlementLine(l *settlement.Line) *ingestionv1.SettlementLine {
	return &ingestionv1.SettlementLine{
		LineNumber: int32(l.Line), TransactionType: l.TransactionType, OrderId: l.OrderID,
		AdjustmentId: l.AdjustmentID, MerchantOrderId: l.MerchantOrderID, ShipmentId: l.ShipmentID, Sku: l.SKU,
		Quantity: l.Quantity, HasQuantity: l.HasQuantity, AmountType: l.AmountType,
		AmountDescription: l.AmountDescription, Amount: money(l.AmountMinor, l.Currency), AmountExact: l.AmountExact,
		PostedDate: date(l.PostedDate), MarketplaceName: l.Marketplace,
	}
}

// linesEvent is the SettlementLinesReceived of the batch-th (0-based)
// batch of s's lines.
func linesEvent(tenant string, f fileInfo, s *Settlement, batch, offset int, lines []*ingestionv1.SettlementLine, at time.Time) Event {
	p := f.provenance()
	p.StatementId = s.ID
	if len(lines) > 0 {
		p.Line = lines[0].GetLineNumber()
	}
	id := settlementLinesEventID(tenant, Marketplace, s.ID, batch)
	return Event{
		Stream:     es.StreamID{Tenant: tenant, Type: StreamLines, ID: strings.Join([]string{Marketplace, s.ID, itoa(batch)}, "/")},
		ID:         id,
		OccurredAt: at,
		Actor:      f.actor, CorrelationID: f.sha,
		Payload: &ingestionv1.SettlementLinesReceived{
			Tenant: tenant, SettlementId: s.ID, Marketplace: Marketplace, BatchIndex: int32(batch),
			LineOffset: int32(offset), Lines: lines, Provenance: p,
		},
	}
}
