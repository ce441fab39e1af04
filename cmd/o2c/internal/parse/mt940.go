package parse

import (
	"fmt"
	"io"
	"strconv"

	"github.com/o2c-platform/o2c/libs/formats/detect"
	"github.com/o2c-platform/o2c/libs/formats/mt940"
)

// mt940Format handles SWIFT MT940 statements and MT942 interim reports.
// Each entry carries, besides the contract's fields, the MT940 fields an
// operator needs to find the line in the file (line, mark, funds_code,
// type_code, customer_reference, supplementary_details, gvc, info), and its
// one transaction the fingerprint and the :86: details the contract has no
// field for.
var mt940Format = format{
	name:   "mt940",
	detect: detect.IsMT940,
	emit:   emitMT940,
}

func emitMT940(r io.Reader, opt Options, w *Writer) (Result, error) {
	// The validating pass of readTwice needs no :86: details or
	// fingerprints: CheckOnly finds the same errors at about twice the speed.
	rd := mt940.NewReader(r, mt940.Options{Encoding: opt.Encoding, CheckOnly: w.discard})
	w.WriteString(`,"statements":[`)
	var ap *mt940Appender
	var b *mt940Batch
	if !w.discard {
		ap = startMT940Appender(w)
		b = <-ap.free
	}
	for {
		it, err := rd.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			if ap != nil {
				ap.stop(b)
			}
			return Result{Format: rd.Format()}, fmt.Errorf("MT940 %w", err)
		}
		if ap == nil {
			continue
		}
		item := mt940Item{kind: it.Kind, entry: it.Entry}
		if it.Kind != mt940.KindEntry {
			item.statement = len(b.statements)
			b.statements = append(b.statements, it.Statement)
		}
		b.items = append(b.items, item)
		if len(b.items) == mt940BatchItems {
			ap.todo <- b
			b = <-ap.free
		}
	}
	if ap != nil {
		ap.stop(b)
	}
	w.WriteString("]")
	return Result{Format: rd.Format(), Warnings: rd.Warnings()}, nil
}

// An MT940 file's JSON is appended on a goroutine of its own while the
// reader reads on: the reader's work and the JSON's are each about half
// of `o2c parse` for MT940, whose JSON is 4.6 times the file. The reader
// hands over batches of items (a fixed number of them, reused), so memory
// does not grow with the file. An Entry is never changed once Next has
// returned it, so the appender may read it while the reader goes on.

// mt940BatchItems is the number of items in a batch, and mt940Batches the
// number of batches: one being filled, one being appended, one spare.
const (
	mt940BatchItems = 128
	mt940Batches    = 3
)

// mt940Item is one item of the reader, without the statement snapshot
// that only a statement's start and end need.
type mt940Item struct {
	kind  mt940.Kind
	entry *mt940.Entry
	// statement is the index in the batch's statements of the snapshot,
	// for KindStatementStart and KindStatementEnd.
	statement int
}

// mt940Batch is a batch of items handed to the appender.
type mt940Batch struct {
	items      []mt940Item
	statements []mt940.Statement
}

// mt940Appender is the goroutine that appends the JSON of the batches
// sent on todo to its Writer and returns them, emptied, on free. Closing
// todo ends it, after the batches before; done is closed then.
type mt940Appender struct {
	todo chan *mt940Batch
	free chan *mt940Batch
	done chan struct{}
}

// startMT940Appender starts the appender goroutine writing to w; its
// free batches are on free. Call stop when done; w must not be used
// meanwhile.
func startMT940Appender(w *Writer) *mt940Appender {
	ap := &mt940Appender{
		todo: make(chan *mt940Batch, mt940Batches),
		free: make(chan *mt940Batch, mt940Batches),
		done: make(chan struct{}),
	}
	for range mt940Batches {
		ap.free <- &mt940Batch{items: make([]mt940Item, 0, mt940BatchItems)}
	}
	go ap.append(w)
	return ap
}

// stop hands over the last batch, b, and waits until everything is
// appended.
func (ap *mt940Appender) stop(b *mt940Batch) {
	ap.todo <- b
	close(ap.todo)
	<-ap.done
}

// append is the goroutine.
func (ap *mt940Appender) append(w *Writer) {
	defer close(ap.done)
	statements, entries := 0, 0
	for b := range ap.todo {
		for i := range b.items {
			it := &b.items[i]
			buf := w.buffer()
			switch it.kind {
			case mt940.KindStatementStart:
				if statements > 0 {
					buf = append(buf, ',')
				}
				statements++
				entries = 0
				buf = appendMT940Start(buf, &b.statements[it.statement])
			case mt940.KindEntry:
				if entries > 0 {
					buf = append(buf, ',')
				}
				entries++
				buf = appendMT940Entry(buf, it.entry)
			case mt940.KindStatementEnd:
				buf = appendMT940End(buf, &b.statements[it.statement])
			}
			w.commit(buf)
		}
		// Cleared, so that the batch does not keep entries alive.
		clear(b.items)
		clear(b.statements)
		b.items, b.statements = b.items[:0], b.statements[:0]
		ap.free <- b
	}
}

// appendMT940Start appends a statement's members up to its entries.
func appendMT940Start(buf []byte, st *mt940.Statement) []byte {
	buf = append(buf, `{"id":`...)
	buf = appendString(buf, st.Reference)
	buf = appendField(buf, `,"sequence":`, st.Sequence)
	buf = appendField(buf, `,"account":`, st.Account)
	buf = appendField(buf, `,"account_currency":`, st.AccountCurrency)
	buf = appendField(buf, `,"related_reference":`, st.RelatedReference)
	buf = append(buf, `,"line":`...)
	buf = strconv.AppendInt(buf, int64(st.Line), 10)
	return append(buf, `,"entries":[`...)
}

// appendMT940End appends a statement's members after its entries.
func appendMT940End(buf []byte, st *mt940.Statement) []byte {
	buf = append(buf, ']')
	buf = appendField(buf, `,"currency":`, st.Currency)
	buf = append(buf, `,"opening_booked_minor":`...)
	buf = appendBalance(buf, st.Opening)
	buf = append(buf, `,"closing_booked_minor":`...)
	buf = appendBalance(buf, st.Closing)
	buf = append(buf, `,"closing_available_minor":`...)
	buf = appendBalance(buf, st.Available)
	buf = appendField(buf, `,"balance_check":`, st.BalanceCheck)
	buf = append(buf, `,"entry_count":`...)
	buf = strconv.AppendInt(buf, int64(st.Entries), 10)
	buf = appendField(buf, `,"info":`, st.Info)
	if st.DateTime != "" || st.FloorLimit != "" || st.Debits != nil || st.Credits != nil {
		buf = appendField(buf, `,"date_time":`, st.DateTime)
		buf = appendField(buf, `,"floor_limit":`, st.FloorLimit)
		buf = append(buf, `,"debits":`...)
		buf = appendSummary(buf, st.Debits)
		buf = append(buf, `,"credits":`...)
		buf = appendSummary(buf, st.Credits)
	}
	return append(buf, '}')
}

// appendBalance appends the balance's amount in minor units, or null.
func appendBalance(buf []byte, b *mt940.Balance) []byte {
	if b == nil {
		return append(buf, "null"...)
	}
	return strconv.AppendInt(buf, b.Amount, 10)
}

// appendSummary appends an MT942 :90D:/:90C: summary as encoding/json
// writes the struct (its field names, no tags), or null.
func appendSummary(buf []byte, s *mt940.Summary) []byte {
	if s == nil {
		return append(buf, "null"...)
	}
	buf = append(buf, `{"Count":`...)
	buf = strconv.AppendInt(buf, int64(s.Count), 10)
	buf = append(buf, `,"Currency":`...)
	buf = appendString(buf, s.Currency)
	buf = append(buf, `,"Amount":`...)
	buf = strconv.AppendInt(buf, s.Amount, 10)
	return append(buf, '}')
}

// appendMT940Date appends d as a JSON string YYYY-MM-DD, "" when zero (as
// mt940.Date.String formats it).
func appendMT940Date(buf []byte, d mt940.Date) []byte {
	if d.IsZero() {
		return append(buf, `""`...)
	}
	if d.Year < 0 || d.Year > 9999 || d.Month < 0 || d.Month > 99 || d.Day < 0 || d.Day > 99 {
		return appendString(buf, d.String())
	}
	return append(buf, '"', byte('0'+d.Year/1000), byte('0'+d.Year/100%10), byte('0'+d.Year/10%10), byte('0'+d.Year%10), '-',
		byte('0'+d.Month/10), byte('0'+d.Month%10), '-', byte('0'+d.Day/10), byte('0'+d.Day%10), '"')
}

// appendMT940Entry appends one entry of the contract's statements, with
// its single transaction.
func appendMT940Entry(buf []byte, e *mt940.Entry) []byte {
	d := &e.Details
	code := e.TypeCode
	if d.GVC != "" {
		code = d.GVC
	}
	buf = append(buf, `{"amount_minor":`...)
	buf = strconv.AppendInt(buf, e.Amount, 10)
	if e.AmountExact != "" {
		buf = appendField(buf, `,"amount_exact":`, e.AmountExact)
	}
	buf = appendField(buf, `,"currency":`, e.Currency)
	buf = append(buf, `,"booking_date":`...)
	buf = appendMT940Date(buf, e.BookingDate)
	buf = append(buf, `,"value_date":`...)
	buf = appendMT940Date(buf, e.ValueDate)
	buf = append(buf, `,"reversal":`...)
	buf = strconv.AppendBool(buf, e.Reversal)
	buf = append(buf, `,"status":"BOOK"`...)
	buf = appendField(buf, `,"bank_reference":`, e.BankReference)
	buf = appendField(buf, `,"bank_tx_code":`, code)
	buf = appendField(buf, `,"booking_text":`, d.BookingText)

	buf = append(buf, `,"transactions":[{"amount_minor":`...)
	buf = strconv.AppendInt(buf, e.Amount, 10)
	buf = appendField(buf, `,"end_to_end_id":`, d.EndToEndID)
	buf = appendField(buf, `,"mandate_id":`, d.MandateID)
	buf = appendField(buf, `,"creditor_id":`, d.CreditorID)
	buf = appendField(buf, `,"remittance":`, d.Remittance)
	buf = append(buf, `,"creditor_references":`...)
	buf = appendStrings(buf, d.CreditorReferences)
	buf = appendField(buf, `,"counterparty_name":`, d.CounterpartyName)
	buf = appendField(buf, `,"counterparty_iban":`, d.CounterpartyIBAN)
	buf = appendField(buf, `,"counterparty_bic":`, d.CounterpartyBIC)
	buf = appendField(buf, `,"return_reason":`, d.ReturnReason)
	buf = append(buf, `,"charges_minor":`...)
	buf = strconv.AppendInt(buf, e.Charges, 10)
	buf = appendField(buf, `,"fingerprint":`, e.Fingerprint())
	buf = appendField(buf, `,"purpose":`, d.Purpose)
	buf = appendField(buf, `,"customer_ref":`, d.CustomerRef)
	buf = appendField(buf, `,"ultimate_party":`, d.UltimateParty)
	buf = appendField(buf, `,"counterparty_account":`, d.CounterpartyAccount)
	buf = appendField(buf, `,"counterparty_bank_code":`, d.CounterpartyBankCode)
	buf = appendField(buf, `,"return_code":`, d.ReturnCode)
	buf = append(buf, "}]"...)

	buf = append(buf, `,"line":`...)
	buf = strconv.AppendInt(buf, int64(e.Line), 10)
	buf = appendField(buf, `,"mark":`, e.Mark)
	buf = appendField(buf, `,"funds_code":`, e.FundsCode)
	buf = appendField(buf, `,"type_code":`, e.TypeCode)
	buf = appendField(buf, `,"customer_reference":`, e.CustomerReference)
	buf = appendField(buf, `,"supplementary_details":`, e.Supplementary)
	buf = appendField(buf, `,"gvc":`, d.GVC)
	buf = appendField(buf, `,"info":`, e.Info)
	return append(buf, '}')
}
