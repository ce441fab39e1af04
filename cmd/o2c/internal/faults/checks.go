package faults

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"

	collectionsv1 "github.com/o2c-platform/o2c/proto/o2c/collections/v1"
	"github.com/o2c-platform/o2c/proto/o2c/collections/v1/collectionsv1grpc"
	ingestionv1 "github.com/o2c-platform/o2c/proto/o2c/ingestion/v1"
	"github.com/o2c-platform/o2c/proto/o2c/ingestion/v1/ingestionv1grpc"
	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"
	matchingv1 "github.com/o2c-platform/o2c/proto/o2c/matching/v1"
	"github.com/o2c-platform/o2c/proto/o2c/matching/v1/matchingv1grpc"
	refundv1 "github.com/o2c-platform/o2c/proto/o2c/refund/v1"
	"github.com/o2c-platform/o2c/proto/o2c/refund/v1/refundv1grpc"
	rejectionv1 "github.com/o2c-platform/o2c/proto/o2c/rejection/v1"
	"github.com/o2c-platform/o2c/proto/o2c/rejection/v1/rejectionv1grpc"

	"github.com/o2c-platform/o2c/cmd/o2c/internal/chains"
	"github.com/o2c-platform/o2c/cmd/o2c/internal/demo"
)

// quietFor is how long every consumer must stay without pending and
// unacknowledged messages before the end state is checked, and
// quietWithin how long the harness waits for that.
const (
	quietFor    = 5 * time.Second
	quietWithin = 4 * time.Minute
	// settleWithin bounds the wait for the counts to come right once the
	// consumers are quiet (a relay may still be publishing).
	settleWithin = 90 * time.Second
)

// check runs the checks of the end state into rep.
func (h *harness) check(ctx context.Context, rep *Report) {
	// One more refund import: a refund that waited for its order is
	// decided now that every order is in.
	if err := h.runRefundImport(ctx); err != nil {
		rep.Checks = append(rep.Checks, Check{Name: "a last refund import runs", Details: []string{err.Error()}})
	}
	rep.Checks = append(rep.Checks, h.checkQuiet(ctx))

	var bookings Check
	deadline := time.Now().Add(settleWithin)
	for {
		bookings = h.checkBooked(ctx)
		if bookings.OK || time.Now().After(deadline) || ctx.Err() != nil {
			break
		}
		time.Sleep(2 * time.Second)
	}
	rep.Checks = append(rep.Checks, bookings, h.checkRefunds(ctx), h.checkReleases(ctx), h.checkHeld(ctx), h.checkVerify(ctx))
	rep.Events = h.countEvents(ctx)
	rep.Messages = h.countMessages(ctx)
}

// countMessages sums the messages every stream took in (its last
// sequence number).
func (h *harness) countMessages(ctx context.Context) uint64 {
	var n uint64
	infos := h.js.ListStreams(ctx)
	for info := range infos.Info() {
		n += info.State.LastSeq
	}
	return n
}

// checkQuiet waits until no consumer of any stream has a message pending
// or delivered and not acknowledged, for quietFor on end.
func (h *harness) checkQuiet(ctx context.Context) Check {
	c := Check{Name: "every consumer drained", Summary: fmt.Sprintf("num_pending, num_ack_pending and redelivered 0 for %s", quietFor)}
	ctx, cancel := context.WithTimeout(ctx, quietWithin)
	defer cancel()
	var since time.Time
	for {
		busy, consumers, err := h.busyConsumers(ctx)
		switch {
		case err == nil && len(busy) == 0:
			if since.IsZero() {
				since = time.Now()
			}
			if time.Since(since) >= quietFor {
				c.OK, c.Details = true, nil
				c.Summary = fmt.Sprintf("%d consumers, num_pending, num_ack_pending and redelivered 0 for %s", consumers, quietFor)
				return c
			}
		default:
			since = time.Time{}
			c.Details = busy
			if err != nil {
				c.Details = []string{err.Error()}
			}
		}
		select {
		case <-ctx.Done():
			c.Details = append(c.Details, fmt.Sprintf("not quiet within %s", quietWithin))
			return c
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// busyConsumers lists the consumers with pending or unacknowledged
// messages.
func (h *harness) busyConsumers(ctx context.Context) (busy []string, consumers int, err error) {
	names := h.js.StreamNames(ctx)
	for name := range names.Name() {
		st, err := h.js.Stream(ctx, name)
		if err != nil {
			return nil, 0, err
		}
		infos := st.ListConsumers(ctx)
		for info := range infos.Info() {
			consumers++
			if info.NumPending > 0 || info.NumAckPending > 0 || info.NumRedelivered > 0 {
				busy = append(busy, fmt.Sprintf("%s/%s: num_pending %d, num_ack_pending %d, redelivered %d",
					name, info.Name, info.NumPending, info.NumAckPending, info.NumRedelivered))
			}
		}
		if err := infos.Err(); err != nil {
			return nil, 0, err
		}
	}
	if err := names.Err(); err != nil && err != jetstream.ErrEndOfData {
		return nil, 0, err
	}
	slices.Sort(busy)
	return busy, consumers, nil
}

// events reads the payloads of schema's events whose type ends in
// "."+typ.
func (h *harness) events(ctx context.Context, conn *pgx.Conn, schema, typ string, each func(payload []byte) error) error {
	rows, err := conn.Query(ctx, `SELECT payload FROM `+pgx.Identifier{schema, "events"}.Sanitize()+` WHERE event_type LIKE '%.' || $1 OR event_type = $1`, typ)
	if err != nil {
		return fmt.Errorf("%s events %s: %w", schema, typ, err)
	}
	defer rows.Close()
	for rows.Next() {
		var p []byte
		if err := rows.Scan(&p); err != nil {
			return err
		}
		if err := each(p); err != nil {
			return fmt.Errorf("%s event %s: %w", schema, typ, err)
		}
	}
	return rows.Err()
}

// count decodes each event of type typ into a new m and counts them by
// key(m).
func count[M proto.Message](ctx context.Context, h *harness, conn *pgx.Conn, schema, typ string, newM func() M, key func(M) string) (map[string]int, error) {
	out := map[string]int{}
	err := h.events(ctx, conn, schema, typ, func(p []byte) error {
		m := newM()
		if err := proto.Unmarshal(p, m); err != nil {
			return err
		}
		out[key(m)]++
		return nil
	})
	return out, err
}

// entryKeys counts the ledger's journal entries by the idempotency key of
// the command that posted them: the entries themselves (keys) and, apart,
// the reversals a command posted (a JournalEntryReversed names them), as
// RecordStatementBalance posts one beside its opening entry when an
// earlier statement arrives late. A command decided twice shows in
// either count.
func (h *harness) entryKeys(ctx context.Context, conn *pgx.Conn) (keys, reversals map[string]int, err error) {
	reversal := map[string]bool{}
	err = h.events(ctx, conn, "ledger", "JournalEntryReversed", func(p []byte) error {
		var m ledgerv1.JournalEntryReversed
		if err := proto.Unmarshal(p, &m); err != nil {
			return err
		}
		reversal[m.GetReversalEntryId()] = true
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	keys, reversals = map[string]int{}, map[string]int{}
	err = h.events(ctx, conn, "ledger", "JournalEntryPosted", func(p []byte) error {
		var m ledgerv1.JournalEntryPosted
		if err := proto.Unmarshal(p, &m); err != nil {
			return err
		}
		if reversal[m.GetEntryId()] {
			reversals[m.GetIdempotencyKey()]++
		} else {
			keys[m.GetIdempotencyKey()]++
		}
		return nil
	})
	return keys, reversals, err
}

// checkBooked checks that every accepted input is in the books exactly
// once and that no ledger command was booked twice.
func (h *harness) checkBooked(ctx context.Context) Check {
	c := Check{Name: "every accepted input booked exactly once, no ledger command twice"}
	fail := func(format string, args ...any) { c.Details = append(c.Details, fmt.Sprintf(format, args...)) }
	conn, err := pgx.Connect(ctx, h.dbURL)
	if err != nil {
		fail("connect: %v", err)
		return c
	}
	defer conn.Close(context.WithoutCancel(ctx))
	ingested, err := count(ctx, h, conn, "ingestion", "InvoiceIngested", func() *ingestionv1.InvoiceIngested { return &ingestionv1.InvoiceIngested{} },
		func(m *ingestionv1.InvoiceIngested) string { return m.GetInvoiceNumber() })
	if err != nil {
		fail("%v", err)
		return c
	}
	credits, err := count(ctx, h, conn, "ingestion", "CreditNoteIngested", func() *ingestionv1.CreditNoteIngested { return &ingestionv1.CreditNoteIngested{} },
		func(m *ingestionv1.CreditNoteIngested) string { return m.GetCreditNoteNumber() })
	if err != nil {
		fail("%v", err)
		return c
	}
	customers, err := count(ctx, h, conn, "ingestion", "CustomerIngested", func() *ingestionv1.CustomerIngested { return &ingestionv1.CustomerIngested{} },
		func(m *ingestionv1.CustomerIngested) string { return m.GetDebtorId() + "/" + m.GetCustomerGroup() })
	if err != nil {
		fail("%v", err)
		return c
	}
	txs := map[string]int{}
	byRef := map[string][]string{} // bank reference -> transaction ids
	err = h.events(ctx, conn, "ingestion", "BankTransactionReceived", func(p []byte) error {
		var m ingestionv1.BankTransactionReceived
		if err := proto.Unmarshal(p, &m); err != nil {
			return err
		}
		txs[m.GetTransactionId()]++
		byRef[m.GetBankReference()] = append(byRef[m.GetBankReference()], m.GetTransactionId())
		return nil
	})
	if err != nil {
		fail("%v", err)
		return c
	}
	settlements, err := count(ctx, h, conn, "ingestion", "SettlementReportReceived", func() *ingestionv1.SettlementReportReceived { return &ingestionv1.SettlementReportReceived{} },
		func(m *ingestionv1.SettlementReportReceived) string { return m.GetSettlementId() })
	if err != nil {
		fail("%v", err)
		return c
	}
	keys, reversals, err := h.entryKeys(ctx, conn)
	if err != nil {
		fail("%v", err)
		return c
	}
	opened, err := count(ctx, h, conn, "ledger", "OpenItemOpened", func() *ledgerv1.OpenItemOpened { return &ledgerv1.OpenItemOpened{} },
		func(m *ledgerv1.OpenItemOpened) string { return m.GetDocumentNumber() })
	if err != nil {
		fail("%v", err)
		return c
	}

	// What the agency reported and collections accepted: each payment on
	// an accepted case is booked by the ledger once, under the key
	// collections gives it.
	payments := 0
	err = h.events(ctx, conn, "collections", "PaymentReported", func(p []byte) error {
		var m collectionsv1.PaymentReported
		if err := proto.Unmarshal(p, &m); err != nil {
			return err
		}
		if m.GetRecovery() || len(m.GetAllocations()) == 0 {
			return nil
		}
		payments++
		key := "collections:" + m.GetRef().GetCaseId() + ":payment:" + m.GetWrite().GetIdempotencyKey()
		if keys[key] != 1 {
			fail("agency payment %s of case %s (%s EUR): booked %d times; want 1", m.GetWrite().GetIdempotencyKey(), m.GetRef().GetCaseId(),
				decimalComma(m.GetCollected().GetMinorUnits()), keys[key])
		}
		return nil
	})
	if err != nil {
		fail("%v", err)
	}

	w := h.work
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, n := range slices.Sorted(maps.Keys(w.invoices)) {
		if ingested[n] != 1 || keys["invoice:"+n] != 1 || opened[n] != 1 {
			fail("invoice %s: ingested %d times, booked %d times, %d open items opened; want 1 each", n, ingested[n], keys["invoice:"+n], opened[n])
		}
	}
	for _, n := range slices.Sorted(maps.Keys(w.creditNotes)) {
		if credits[n] != 1 || keys["credit-note:"+n] != 1 {
			fail("credit note %s: ingested %d times, booked %d times; want 1 each", n, credits[n], keys["credit-note:"+n])
		}
	}
	for _, k := range slices.Sorted(maps.Keys(w.customers)) {
		// A registration overtaken by the later update may leave no event
		// of its own (the newer data won); none may come twice.
		debtor, group, _ := strings.Cut(k, "/")
		if customers[k] > 1 || customers[k] == 0 && !(group == "fh-new" && customers[debtor+"/fh-updated"] == 1) {
			fail("customer %s: %s ingested %d times; want 1", debtor, w.customers[k], customers[k])
		}
	}
	bankBooked := 0
	for k, n := range keys {
		if strings.HasPrefix(k, "bank-transaction:") {
			bankBooked++
		}
		if n > 1 {
			fail("ledger command %s booked %d times", k, n)
		}
	}
	for k, n := range reversals {
		if n > 1 {
			fail("ledger command %s reversed %d entries", k, n)
		}
	}
	for id, n := range txs {
		if n > 1 {
			fail("bank transaction %s emitted %d times by ingestion", id, n)
		}
	}
	for _, ref := range w.bankRefs {
		ids := byRef[ref]
		if len(ids) != 1 || keys["bank-transaction:"+ids[0]] != 1 {
			booked := 0
			if len(ids) > 0 {
				booked = keys["bank-transaction:"+ids[0]]
			}
			fail("bank transaction %s: emitted %d times by ingestion (%v), booked %d times; want 1 each", ref, len(ids), ids, booked)
		}
	}
	if len(txs) != w.transactions || bankBooked != w.transactions {
		fail("bank transactions: %d accepted in statements, %d emitted by ingestion, %d booked by the ledger", w.transactions, len(txs), bankBooked)
	}
	for _, id := range w.settlements {
		if settlements[id] != 1 {
			fail("settlement report %s received %d times; want 1", id, settlements[id])
		}
	}
	c.OK = len(c.Details) == 0
	c.Summary = fmt.Sprintf("%d invoices, %d credit notes, %d customer changes, %d bank transactions in %d statements, %d settlement reports, %d agency payments; no ledger command twice (%d commands)",
		len(w.invoices), len(w.creditNotes), len(w.customers), w.transactions, len(w.statements), len(w.settlements), payments, len(keys))
	return c
}

// checkRefunds checks that each refund Amazon listed was decided once, a
// booked one credited once, the others with their reason.
func (h *harness) checkRefunds(ctx context.Context) Check {
	c := Check{Name: "every refund decided once, a booked one credited once, the rest with a reason"}
	var refunds []*refundv1.Refund
	client := refundv1grpc.NewRefundServiceClient(h.conn("refund-import"))
	req := &refundv1.ListRefundsRequest{Tenant: demo.Tenant, PageSize: 500}
	err := retry(ctx, "list refunds", func(ctx context.Context) error {
		refunds = refunds[:0]
		req.PageToken = ""
		for {
			resp, err := client.ListRefunds(ctx, req)
			if err != nil {
				return err
			}
			refunds = append(refunds, resp.GetRefunds()...)
			if resp.GetNextPageToken() == "" {
				return nil
			}
			req.PageToken = resp.GetNextPageToken()
		}
	})
	if err != nil {
		c.Details = append(c.Details, err.Error())
		return c
	}
	seen := map[string][]*refundv1.Refund{}
	for _, r := range refunds {
		seen[r.GetAdjustmentId()] = append(seen[r.GetAdjustmentId()], r)
	}
	conn, err := pgx.Connect(ctx, h.dbURL)
	if err != nil {
		c.Details = append(c.Details, err.Error())
		return c
	}
	defer conn.Close(context.WithoutCancel(ctx))
	keys, err := count(ctx, h, conn, "ledger", "JournalEntryPosted", func() *ledgerv1.JournalEntryPosted { return &ledgerv1.JournalEntryPosted{} },
		func(m *ledgerv1.JournalEntryPosted) string { return m.GetIdempotencyKey() })
	if err != nil {
		c.Details = append(c.Details, err.Error())
		return c
	}
	h.work.mu.Lock()
	defer h.work.mu.Unlock()
	states := map[string]int{}
	for _, adj := range slices.Sorted(maps.Keys(h.work.refunds)) {
		rs := seen[adj]
		if len(rs) != 1 {
			c.Details = append(c.Details, fmt.Sprintf("refund %s listed %d times by refund import; want 1", adj, len(rs)))
			continue
		}
		r := rs[0]
		states[strings.TrimPrefix(r.GetState().String(), "REFUND_STATE_")]++
		switch r.GetState() {
		case refundv1.RefundState_REFUND_STATE_BOOKED:
			if n := keys["amazon-refund:"+adj]; n != 1 {
				c.Details = append(c.Details, fmt.Sprintf("refund %s booked, its credit note in the ledger %d times; want 1", adj, n))
			}
		default:
			if r.GetReason() == "" {
				c.Details = append(c.Details, fmt.Sprintf("refund %s is %s without a reason", adj, r.GetState()))
			}
		}
	}
	c.OK = len(c.Details) == 0
	c.Summary = fmt.Sprintf("%d refunds: %v", len(h.work.refunds), states)
	return c
}

// checkReleases checks that each accepted release opened exactly one case.
func (h *harness) checkReleases(ctx context.Context) Check {
	c := Check{Name: "every accepted release to collections opened one case with the released items, no item in two cases"}
	var cases []*collectionsv1.Case
	err := retry(ctx, "list cases", func(ctx context.Context) error {
		resp, err := collectionsv1grpc.NewCollectionsServiceClient(h.conn("collections")).ListCases(ctx, &collectionsv1.ListCasesRequest{Tenant: demo.Tenant, PageSize: 1000})
		cases = resp.GetCases()
		return err
	})
	if err != nil {
		c.Details = append(c.Details, err.Error())
		return c
	}
	byReason := map[string][]*collectionsv1.Case{}
	statuses := map[string]int{}
	for _, cs := range cases {
		byReason[cs.GetReleaseReason()] = append(byReason[cs.GetReleaseReason()], cs)
		statuses[strings.TrimPrefix(cs.GetStatus().String(), "CASE_STATUS_")]++
	}
	h.work.mu.Lock()
	defer h.work.mu.Unlock()
	for _, reason := range slices.Sorted(maps.Keys(h.work.releases)) {
		rel := h.work.releases[reason]
		cs := byReason[reason]
		if len(cs) != 1 {
			c.Details = append(c.Details, fmt.Sprintf("release %q of %s: %d cases; want 1", reason, rel.debtor, len(cs)))
			continue
		}
		items := map[string]bool{}
		for _, it := range cs[0].GetItems() {
			items[it.GetOpenItemId()] = true
		}
		missing := slices.DeleteFunc(slices.Clone(rel.items), func(id string) bool { return items[id] })
		if len(missing) > 0 || cs[0].GetDebtor().GetDebtorId() != rel.debtor {
			c.Details = append(c.Details, fmt.Sprintf("release %q: case %s of %s holds items %v; released %v of %s", reason, cs[0].GetCaseId(),
				cs[0].GetDebtor().GetDebtorId(), slices.Sorted(maps.Keys(items)), rel.items, rel.debtor))
		}
	}
	// No open item is handed over twice: in two cases the agency did
	// not reject and the merchant did not recall.
	inCases := map[string][]string{}
	for _, cs := range cases {
		switch cs.GetStatus() {
		case collectionsv1.CaseStatus_CASE_STATUS_REJECTED, collectionsv1.CaseStatus_CASE_STATUS_RECALLED:
			continue
		}
		seen := map[string]bool{}
		for _, it := range cs.GetItems() {
			if id := it.GetOpenItemId(); !seen[id] {
				seen[id] = true
				inCases[id] = append(inCases[id], fmt.Sprintf("%s (%s, %q)", cs.GetCaseId(), strings.TrimPrefix(cs.GetStatus().String(), "CASE_STATUS_"), cs.GetReleaseReason()))
			}
		}
	}
	for _, id := range slices.Sorted(maps.Keys(inCases)) {
		if cs := inCases[id]; len(cs) > 1 {
			c.Details = append(c.Details, fmt.Sprintf("open item %s handed over in %d cases: %s", id, len(cs), strings.Join(cs, ", ")))
		}
	}
	c.OK = len(c.Details) == 0
	c.Summary = fmt.Sprintf("%d releases; %d cases in all, dunning's among them: %v", len(h.work.releases), len(cases), statuses)
	return c
}

// checkHeld checks that whatever the services hold or rejected names its
// reason: ingestion's pending messages, every service's open rejections,
// matching's open exceptions.
func (h *harness) checkHeld(ctx context.Context) Check {
	c := Check{Name: "nothing held or rejected without a reason"}
	fail := func(format string, args ...any) { c.Details = append(c.Details, fmt.Sprintf(format, args...)) }
	var pending []*ingestionv1.PendingMessage
	err := retry(ctx, "pending", func(ctx context.Context) error {
		resp, err := ingestionv1grpc.NewIngestionServiceClient(h.conn("ingestion")).ListPending(ctx, &ingestionv1.ListPendingRequest{Tenant: demo.Tenant})
		pending = resp.GetPending()
		return err
	})
	if err != nil {
		fail("ingestion pending: %v", err)
	}
	for _, p := range pending {
		if p.GetReason() == "" || p.GetWaitsForKey() == "" {
			fail("ingestion holds %s %s without a reason", p.GetEventType(), p.GetDocument())
		}
	}
	rejected := 0
	var codes []string
	for _, s := range serviceNames {
		var rs []*rejectionv1.Rejection
		err := retry(ctx, "rejections", func(ctx context.Context) error {
			resp, err := rejectionv1grpc.NewRejectionServiceClient(h.conn(s)).ListRejections(ctx, &rejectionv1.ListRejectionsRequest{Tenant: demo.Tenant,
				State: rejectionv1.RejectionState_REJECTION_STATE_OPEN, Limit: 1000})
			rs = resp.GetRejections()
			return err
		})
		if err != nil {
			fail("%s rejections: %v", s, err)
		}
		for _, r := range rs {
			rejected++
			reason := r.GetReason()
			if len(reason) > 240 {
				reason = "…" + reason[len(reason)-240:] // the cause is at the end
			}
			codes = append(codes, fmt.Sprintf("%s %s %s: %s", s, r.GetReasonCode(), r.GetDocument(), reason))
			if r.GetReason() == "" || r.GetReasonCode() == "" {
				fail("%s rejected %s (%s) without a reason", s, r.GetSubject(), r.GetId())
			}
		}
	}
	var open []*matchingv1.Exception
	err = retry(ctx, "exceptions", func(ctx context.Context) error {
		resp, err := matchingv1grpc.NewMatchingServiceClient(h.conn("matching")).ListExceptions(ctx, &matchingv1.ListExceptionsRequest{Tenant: demo.Tenant,
			States: []matchingv1.ExceptionState{matchingv1.ExceptionState_EXCEPTION_STATE_OPEN}, PageSize: 1000})
		open = resp.GetExceptions()
		return err
	})
	if err != nil {
		fail("matching exceptions: %v", err)
	}
	for _, e := range open {
		if e.GetExplanation() == "" {
			fail("matching holds payment %s in its queue without an explanation", e.GetPayment().GetTransactionId())
		}
	}
	c.OK = len(c.Details) == 0
	c.Summary = fmt.Sprintf("%d pending in ingestion, %d open rejections, %d open exceptions in matching's queue", len(pending), rejected, len(open))
	for _, code := range codes {
		c.Details = append(c.Details, "open rejection: "+code)
	}
	return c
}

// checkVerify runs what `o2c verify` runs over the six event stores.
func (h *harness) checkVerify(ctx context.Context) Check {
	c := Check{Name: "o2c verify clean", Summary: strings.Join(chains.Schemas, ", ") + ": hash chains, the ledger's read models and invariants, bank reconciliation"}
	var out bytes.Buffer
	ok, err := chains.Verify(ctx, h.dbURL, chains.Schemas, &out)
	c.OK = ok && err == nil
	if !c.OK {
		if err != nil {
			c.Details = append(c.Details, err.Error())
		}
		c.Details = append(c.Details, strings.Split(strings.TrimSpace(out.String()), "\n")...)
	}
	return c
}

// countEvents counts the events each service stored.
func (h *harness) countEvents(ctx context.Context) map[string]int64 {
	out := map[string]int64{}
	conn, err := pgx.Connect(ctx, h.dbURL)
	if err != nil {
		return out
	}
	defer conn.Close(context.WithoutCancel(ctx))
	for _, s := range chains.Schemas {
		var n int64
		if err := conn.QueryRow(ctx, `SELECT count(*) FROM `+pgx.Identifier{s, "events"}.Sanitize()).Scan(&n); err == nil {
			out[s] = n
		}
	}
	return out
}
