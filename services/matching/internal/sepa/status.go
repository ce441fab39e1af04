package sepa

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/o2c-platform/o2c/libs/formats/pain"
	"github.com/o2c-platform/o2c/libs/sepa"
)

// What a status report (pain.002) did to one transaction (Applied.Outcome).
const (
	// OutcomeRejected: the bank rejected the debit or transfer before
	// settlement; it is now rejected (see the Rejected state).
	OutcomeRejected = "rejected"
	// OutcomeRecorded: an acceptance or other status the bank reported is
	// recorded on the debit or transfer (Debit.BankStatus); its state is
	// unchanged.
	OutcomeRecorded = "recorded"
	// OutcomeUnchanged: the report named a debit or transfer that is past
	// the point the status could change (a rejection of a collection the
	// statement showed already, a status of one rejected before), or the
	// same report was imported before.
	OutcomeUnchanged = "unchanged"
	// OutcomeUnknown: the report names a message or end-to-end id that is
	// none of the tenant's files or transactions. It is kept with the
	// report and changes nothing.
	OutcomeUnknown = "unknown"
)

// StatusState is what applying a status report reads from storage: the
// file the report answers (by its message id) and the debits or payouts
// it carries.
type StatusState struct {
	// File is the tenant's file whose message id the report names; nil
	// when there is none.
	File *File
	// Debits are the debits of a pain.008 file, Transfers the transfers
	// of a pain.001 file.
	Debits    []Debit
	Transfers []Transfer
}

// Transfer is one transfer of a payout file: a debtor's credit items
// paid out under one end-to-end id.
type Transfer struct {
	EndToEndID, Debtor string
	Items              []string
	// Amount is the sum paid out, positive euro cents.
	Amount int64
	// Mandate is the mandate whose account the transfer went to; empty for
	// a payout made before it was recorded.
	Mandate string
	// Debited is set once the statement showed the transfer, Rejected
	// once a status report rejected it.
	Debited, Rejected bool
}

// Applied is what a status report said of one transaction and what o2c
// did with it.
type Applied struct {
	// EndToEndID names the debit or transfer; empty for a report of an
	// unknown message that lists no transaction.
	EndToEndID string
	// PaymentInfoID is the payment information block of the original
	// message the status came from, when the report named one.
	PaymentInfoID string
	// Status is the status that holds for the transaction: its own, else
	// its block's, else the group's (a block's or the group's RJCT holds
	// whatever the transaction's own says).
	Status string
	// Reason is the reason code (the transaction's own, else its block's,
	// else the group's), Info its additional information.
	Reason, Info string
	// Kind is "debit" or "payout", empty when unknown.
	Kind string
	// Items are the open items the debit collects or the transfer pays
	// out, Debtor their debtor.
	Items  []string
	Debtor string
	Amount int64
	// Mandate is the debit's mandate or the transfer's account's, and
	// Unusable is set when the rejection makes it unusable
	// (MakesUnusable): no collection or payout uses it until an operator
	// amends it.
	Mandate  string
	Unusable bool
	// Outcome is one of the Outcome constants; Note says why in words.
	Outcome, Note string
}

// StatusPlan is what a status report changes: per transaction, in the
// report's order and then the file's.
type StatusPlan struct {
	// Kind is "debit" for a report on a pain.008, "payout" on a pain.001,
	// empty for an unknown message.
	Kind    string
	Applied []Applied
}

// PlanStatus decides what the status report rep does to the debits or
// transfers of the file it answers (st):
//
//   - RJCT of a submitted debit makes it rejected with the reason code:
//     no money moved, nothing is booked, and the next run collects the
//     item again under a new attempt and end-to-end id, unless the code
//     makes the mandate unusable (MakesUnusable, the table returns use),
//     which it then does. A debit the statement showed already (booked or
//     returned) is left unchanged.
//   - RJCT of a transfer not debited yet makes it rejected: the credit
//     items are free to be paid out again by the next payout run (under a
//     new end-to-end id), unless the code makes the account's mandate
//     unusable, which holds the balance until an operator enters a new
//     account.
//   - Any other status (ACCP, ACSC, ACSP, ACTC, ACWC, PDNG, RCVD ...) is
//     recorded on the transaction; its state does not change.
//
// A group status other than PART applies to every transaction of the
// file, a block status other than PART to every transaction of the block
// (the block of a debit is the batch of its sequence type; a payout file
// has one); RJCT of the group or block wins over a transaction's own.
// Transactions the report names that the file does not carry, and every
// transaction of a report on an unknown message, are unknown.
func PlanStatus(rep *pain.StatusReport, st StatusState) StatusPlan {
	var p StatusPlan
	if st.File == nil {
		p.Applied = unknownMessage(rep)
		return p
	}
	type tx struct {
		block, status, reason, info string
		reasons                     []pain.StatusReason
	}
	listed := map[string]tx{}
	var order []string
	blocks := map[string]pain.PaymentStatus{}
	for _, b := range rep.Payments {
		blocks[b.PaymentInfoID] = b
		for _, t := range b.Transactions {
			if _, ok := listed[t.EndToEndID]; !ok {
				order = append(order, t.EndToEndID)
			}
			listed[t.EndToEndID] = tx{block: b.PaymentInfoID, status: t.Status, reasons: t.Reasons}
		}
	}
	// effective returns the status, reasons and block that hold for a
	// transaction of block.
	effective := func(block string) (string, []pain.StatusReason) {
		if rep.GroupStatus == pain.StatusRejected {
			return pain.StatusRejected, rep.GroupReasons
		}
		if b, ok := blocks[block]; ok && b.Status == pain.StatusRejected {
			return pain.StatusRejected, first(b.Reasons, rep.GroupReasons)
		}
		if b, ok := blocks[block]; ok && b.Status != "" && b.Status != pain.StatusPartiallyAccepted {
			return b.Status, first(b.Reasons, rep.GroupReasons)
		}
		if rep.GroupStatus != pain.StatusPartiallyAccepted {
			return rep.GroupStatus, rep.GroupReasons
		}
		return "", nil
	}
	decide := func(e2e, block string) (string, []pain.StatusReason) {
		status, reasons := effective(block)
		t, ok := listed[e2e]
		if !ok || status == pain.StatusRejected || t.status == "" {
			if ok && len(t.reasons) > 0 {
				reasons = t.reasons
			}
			return status, reasons
		}
		if len(t.reasons) == 0 {
			return t.status, reasons
		}
		return t.status, t.reasons
	}
	unknown := func(e2e string) {
		p.Applied = append(p.Applied, unknownTx(rep, e2e, listed[e2e].block, listed[e2e].status, listed[e2e].reasons, st.File))
	}
	note := func(a *Applied, reasons []pain.StatusReason) {
		a.Reason = pain.Code(reasons)
		for _, r := range reasons {
			if r.Info != "" {
				a.Info = strings.TrimSpace(a.Info + " " + r.Info)
			}
		}
	}
	switch st.File.MessageType {
	case Pain008:
		p.Kind = "debit"
		apply := func(d Debit) {
			block := cut(st.File.MessageID+"-"+d.Sequence, sepa.MaxIDLength)
			if t, ok := listed[d.EndToEndID]; ok && t.block != "" {
				block = t.block
			}
			status, reasons := decide(d.EndToEndID, block)
			if status == "" {
				return
			}
			a := Applied{EndToEndID: d.EndToEndID, PaymentInfoID: block, Status: status, Kind: p.Kind, Items: []string{d.Item},
				Debtor: d.Debtor, Amount: d.Amount, Mandate: d.Mandate}
			note(&a, reasons)
			switch {
			case status == pain.StatusRejected && d.State == Submitted:
				a.Outcome, a.Unusable = OutcomeRejected, MakesUnusable(a.Reason)
				a.Note = "rejected before settlement (" + reasonText(a.Reason) + "): nothing booked; "
				if a.Unusable {
					a.Note += "mandate " + d.Mandate + " unusable, the item is not collected again until it is amended"
				} else {
					a.Note += "the next run collects the item again"
				}
			case status == pain.StatusRejected || d.State == Rejected:
				a.Outcome, a.Note = OutcomeUnchanged, "the debit is "+d.State+" already"
			default:
				a.Outcome, a.Note = OutcomeRecorded, recordedNote(status)
			}
			p.Applied = append(p.Applied, a)
		}
		inReportOrder(order, st.Debits, func(d Debit) string { return d.EndToEndID }, apply, unknown)
	case Pain001:
		p.Kind = "payout"
		apply := func(t Transfer) {
			block := st.File.MessageID
			if l, ok := listed[t.EndToEndID]; ok && l.block != "" {
				block = l.block
			}
			status, reasons := decide(t.EndToEndID, block)
			if status == "" {
				return
			}
			a := Applied{EndToEndID: t.EndToEndID, PaymentInfoID: block, Status: status, Kind: p.Kind, Items: t.Items,
				Debtor: t.Debtor, Amount: t.Amount, Mandate: t.Mandate}
			note(&a, reasons)
			switch {
			case status == pain.StatusRejected && !t.Debited && !t.Rejected:
				a.Outcome, a.Unusable = OutcomeRejected, t.Mandate != "" && MakesUnusable(a.Reason)
				a.Note = "payout rejected (" + reasonText(a.Reason) + "): nothing booked; "
				if a.Unusable {
					a.Note += "the account of mandate " + t.Mandate + " is unusable, the balance is held until an operator enters a new one"
				} else {
					a.Note += "the next payout run pays the balance again"
				}
			case t.Rejected:
				a.Outcome, a.Note = OutcomeUnchanged, "the payout is rejected already"
			case status == pain.StatusRejected:
				a.Outcome, a.Note = OutcomeUnchanged, "the statement showed the payout already"
			default:
				a.Outcome, a.Note = OutcomeRecorded, recordedNote(status)
			}
			p.Applied = append(p.Applied, a)
		}
		inReportOrder(order, st.Transfers, func(t Transfer) string { return t.EndToEndID }, apply, unknown)
	}
	return p
}

// first returns a when it holds a reason, else b.
func first(a, b []pain.StatusReason) []pain.StatusReason {
	if len(a) > 0 {
		return a
	}
	return b
}

func reasonText(code string) string {
	if code == "" {
		return "no reason given"
	}
	if r, ok := ReturnReasons[code]; ok {
		return code + " " + r.Text
	}
	return code
}

// unknownMessage lists what a report of a message that is none of the
// tenant's files says: each transaction, or the group alone.
func unknownMessage(rep *pain.StatusReport) []Applied {
	var out []Applied
	for _, b := range rep.Payments {
		for _, t := range b.Transactions {
			status := t.Status
			if status == "" {
				status = b.Status
			}
			if status == "" {
				status = rep.GroupStatus
			}
			a := Applied{EndToEndID: t.EndToEndID, PaymentInfoID: b.PaymentInfoID, Status: status, Amount: t.Amount,
				Reason: pain.Code(first(t.Reasons, first(b.Reasons, rep.GroupReasons))), Outcome: OutcomeUnknown,
				Note: "message " + rep.OriginalMessageID + " is none of the tenant's files"}
			out = append(out, a)
		}
	}
	if len(out) == 0 {
		out = append(out, Applied{Status: rep.GroupStatus, Reason: pain.Code(rep.GroupReasons), Outcome: OutcomeUnknown,
			Note: "message " + rep.OriginalMessageID + " is none of the tenant's files"})
	}
	return out
}

// unknownTx is a transaction the report names that the file does not
// carry.
func unknownTx(rep *pain.StatusReport, e2e, block, status string, reasons []pain.StatusReason, f *File) Applied {
	if status == "" {
		status = rep.GroupStatus
	}
	return Applied{EndToEndID: e2e, PaymentInfoID: block, Status: status, Reason: pain.Code(first(reasons, rep.GroupReasons)),
		Outcome: OutcomeUnknown, Note: fmt.Sprintf("no transaction of file %s has this end-to-end id", f.Name)}
}

// StatusSaved is a status report and what it changes, stored in one
// transaction (Store.SaveStatusReport).
type StatusSaved struct {
	Tenant string
	// Name is the report's file name as given, Content its bytes.
	Name    string
	Content []byte
	Report  *pain.StatusReport
	// File is the name of the file it answers, empty when unknown.
	File     string
	Plan     StatusPlan
	Received time.Time
}

// StatusResult is what importing a status report did.
type StatusResult struct {
	// MessageID is the report's own, OriginalMessageID and
	// OriginalMessageType the message it answers, File the name of the
	// tenant's file of that message (empty when unknown), GroupStatus the
	// report's group status.
	MessageID, OriginalMessageID, OriginalMessageType, File, GroupStatus string
	// Duplicate is set when a report with the same message id was
	// imported before: Applied is what that import did, and nothing
	// changed now.
	Duplicate bool
	Applied   []Applied
}

// ImportStatusReport reads a pain.002 status report (content, named name)
// and applies it to the tenant's debits or payouts (PlanStatus) in one
// transaction with the report, which is kept. It is idempotent per report
// message id: the same report again changes nothing and returns what the
// first import did. Nothing is booked in the ledger: a rejected debit or
// transfer moved no money. Errors: pain.ErrStatusReport and
// pain.ErrReportTooLarge for content that is not a status report, or
// storage failures.
func (r *Runner) ImportStatusReport(ctx context.Context, tenant, name string, content []byte) (StatusResult, error) {
	rep, err := pain.ReadStatusReport(bytes.NewReader(content))
	if err != nil {
		return StatusResult{}, fmt.Errorf("status report %s: %w", name, err)
	}
	st, err := r.Store.StatusState(ctx, tenant, rep.OriginalMessageID)
	if err != nil {
		return StatusResult{}, err
	}
	plan := PlanStatus(rep, st)
	s := StatusSaved{Tenant: tenant, Name: name, Content: content, Report: rep, Plan: plan, Received: r.now().UTC()}
	if st.File != nil {
		s.File = st.File.Name
	}
	res, err := r.Store.SaveStatusReport(ctx, s)
	if err != nil {
		return res, err
	}
	if r.Registry != nil && !res.Duplicate {
		var gone []string
		for _, a := range res.Applied {
			if a.Kind == "debit" && a.Outcome == OutcomeRejected {
				gone = append(gone, a.EndToEndID)
			}
		}
		r.Registry.Remove(tenant, gone)
	}
	return res, nil
}

// recordedNote is the note of a status that changes nothing: its meaning,
// or the code itself where it has none.
func recordedNote(status string) string {
	if n := pain.StatusCodes[status]; n != "" {
		return n
	}
	return "status " + status
}

// inReportOrder applies the file's transactions in the order the report
// lists them (unknown for those the file does not hold), then the ones it
// does not list, in the file's order: the report's status for a block or
// the whole message covers those too.
func inReportOrder[T any](order []string, txs []T, e2eOf func(T) string, apply func(T), unknown func(e2e string)) {
	byE2E := make(map[string]T, len(txs))
	for _, t := range txs {
		byE2E[e2eOf(t)] = t
	}
	seen := make(map[string]bool, len(order))
	for _, e2e := range order {
		seen[e2e] = true
		if t, ok := byE2E[e2e]; ok {
			apply(t)
			continue
		}
		unknown(e2e)
	}
	for _, t := range txs {
		if !seen[e2eOf(t)] {
			apply(t)
		}
	}
}
