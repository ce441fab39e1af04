package books

import (
	"context"
	"fmt"
	"slices"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"

	"github.com/o2c-platform/o2c/libs/eventstore/es"
)

// commands is the command table: every ledger command, where the Commander
// decides it and which Ledger method decides it. Adding a command is one
// entry here plus its decide method.
var commands = table(
	onNewDebtor((*Ledger).RegisterInvoice, invoiceDebtor),
	onNewDebtor((*Ledger).RecordOpeningBalance, (*ledgerv1.RecordOpeningBalance).GetDebtorId),
	onNewDebtor((*Ledger).AssessCharge, (*ledgerv1.AssessCharge).GetDebtorId),
	onDebtor((*Ledger).IssueCreditNote, (*ledgerv1.IssueCreditNote).GetDebtorId),
	onDebtor((*Ledger).ApplyPayment, (*ledgerv1.ApplyPayment).GetDebtorId),
	onDebtor((*Ledger).RecordAgencyCollection, (*ledgerv1.RecordAgencyCollection).GetDebtorId),
	onDebtor((*Ledger).PayOutCreditBalance, (*ledgerv1.PayOutCreditBalance).GetDebtorId),
	onRoute((*Ledger).WriteOff, RouteItem, func(c *ledgerv1.WriteOff) (string, error) {
		return c.GetOpenItemId(), fmt.Errorf("open_item_id: %w %q", ErrUnknownOpenItem, c.GetOpenItemId())
	}),
	onRoute((*Ledger).RecoverWrittenOff, RouteItem, func(c *ledgerv1.RecoverWrittenOff) (string, error) {
		return c.GetOpenItemId(), fmt.Errorf("open_item_id: %w %q", ErrUnknownOpenItem, c.GetOpenItemId())
	}),
	onRoute((*Ledger).ReverseEntry, RouteEntry, func(c *ledgerv1.ReverseEntry) (string, error) {
		return c.GetEntryId(), fmt.Errorf("%w %q", ErrUnknownEntry, c.GetEntryId())
	}),
	onRoute((*Ledger).ReturnPayment, RouteEntry, func(c *ledgerv1.ReturnPayment) (string, error) {
		return PaymentEntryID(c.GetTenant(), c.GetPaymentId()), fmt.Errorf("payment %q: %w", c.GetPaymentId(), ErrUnknownEntry)
	}),
	onStream((*Ledger).RecordBankTransaction, func(c *ledgerv1.RecordBankTransaction) es.StreamID {
		return BankTransactionStream(c.GetTenant(), c.GetTransactionId())
	}),
	statementCommand(),
	onPeriods((*Ledger).ClosePeriod),
	onPeriods((*Ledger).ReopenPeriod),
	mergeCommand(),
)

// senders is the entitlement table: the services that may send each
// command over JetStream, on o2c.<tenant>.<sender>.ledger.<command>. NATS
// lets only a service's own user publish on its subjects (deploy/nats), so
// the subject names the sender. A command not listed comes from no
// service: RegisterInvoice only from ingestion's validated invoices
// (o2c.<tenant>.ingestion.invoice.ingested, never as a command),
// RecordBankTransaction and RecordStatementBalance only from ingestion's
// bank events (o2c.<tenant>.ingestion.bank-transaction.received and
// bank-statement.received, mapped by the ledger's consumer, never as a
// command), the others (opening balances, payouts of credit balances,
// periods, debtor merges) only over gRPC from operators and staff.
//
// Matching applies and returns payments, writes off the small differences
// it books, recovers written-off items when their money reaches the bank,
// reverses the entry of a payment a person unmatched (ReverseEntry),
// passes a returned debit's charge on (AssessCharge), and issues the credit
// note of a marketplace refund a payout's settlement report deducts, keyed
// "amazon-refund:<adjustment id>" as refund import keys the same refund, so
// the ledger books it once; refund import issues those credit notes too and
// reverses one (ReverseEntry) when the marketplace takes its refund back.
// Matching also pays out credit balances (PayOutCreditBalance) once the
// bank statement shows the SEPA transfer of its payout file leave.
// Dunning assesses its fees and interest.
// Collections books what an agency collects, recovers and gives up on.
var senders = map[protoreflect.FullName][]string{
	fullName(&ledgerv1.ApplyPayment{}):           {"matching"},
	fullName(&ledgerv1.ReturnPayment{}):          {"matching"},
	fullName(&ledgerv1.WriteOff{}):               {"collections", "matching"},
	fullName(&ledgerv1.RecoverWrittenOff{}):      {"collections", "matching"},
	fullName(&ledgerv1.AssessCharge{}):           {"dunning", "matching"},
	fullName(&ledgerv1.RecordAgencyCollection{}): {"collections"},
	fullName(&ledgerv1.IssueCreditNote{}):        {"matching", "refund-import"},
	fullName(&ledgerv1.ReverseEntry{}):           {"matching", "refund-import"},
	fullName(&ledgerv1.PayOutCreditBalance{}):    {"matching"},
}

func fullName(m proto.Message) protoreflect.FullName { return m.ProtoReflect().Descriptor().FullName() }

// Senders returns the services that may send the command with the full
// name name over JetStream (see senders), sorted; none when no service
// may.
func Senders(name string) []string {
	return slices.Clone(senders[protoreflect.FullName(name)])
}

// CheckSender returns nil when service may send cmd over JetStream, else
// a *SenderError (ErrSenderNotEntitled) naming both.
func CheckSender(service string, cmd proto.Message) error {
	name := fullName(cmd)
	if slices.Contains(senders[name], service) {
		return nil
	}
	return &SenderError{Sender: service, Command: string(name.Name()), Entitled: Senders(string(name))}
}

// invoiceDebtor is the debtor of an invoice: the marketplace's debtor for
// an order a marketplace collects (it gets a personal account of its own
// when the chart names none for it), else the buyer.
func invoiceDebtor(c *ledgerv1.RegisterInvoice) string {
	if mp := c.GetMarketplace(); mp != "" {
		return MarketplaceDebtorID(mp, c.GetCurrency())
	}
	return c.GetDebtorId()
}

// NewCommand returns an empty message of the ledger command with the
// protobuf full name name (e.g. "o2c.ledger.v1.ApplyPayment"), ready to
// decode into, or false when name is not a ledger command.
func NewCommand(name string) (proto.Message, bool) {
	spec, ok := commands[protoreflect.FullName(name)]
	if !ok {
		return nil, false
	}
	return spec.new(), true
}

// CommandNames returns the full names of the ledger's commands, sorted.
func CommandNames() []string {
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, string(n))
	}
	slices.Sort(names)
	return names
}

// command is one row of the command table.
type command struct {
	name protoreflect.FullName
	new  func() proto.Message
	// target says where the command is decided. Its error means cmd is
	// not of the row's Go type.
	target func(cmd proto.Message) (target, error)
	// execute decides the command once and stores its events; an error
	// wrapping es.ErrVersionConflict makes Execute decide again.
	execute func(ctx context.Context, c *Commander, cmd proto.Message, t target, m Meta) (Result, error)
	// decide, when set, is how execute decides the command on the books
	// of its one stream; ExecuteBatch decides such commands together. Nil
	// for commands that need more (a statement's account history, a
	// merge's two streams).
	decide decideFunc
}

func table(rows ...command) map[protoreflect.FullName]command {
	m := make(map[protoreflect.FullName]command, len(rows))
	for _, r := range rows {
		m[r.name] = r
	}
	return m
}

func lookup(cmd proto.Message) (command, bool) {
	if cmd == nil {
		return command{}, false
	}
	spec, ok := commands[cmd.ProtoReflect().Descriptor().FullName()]
	return spec, ok
}

// ledgerCommand is what every command message has.
type ledgerCommand interface {
	proto.Message
	GetTenant() string
	GetIdempotencyKey() string
}

// row returns a table row for command type C decided on one stream.
func row[C ledgerCommand](where func(C) target, decide func(l *Ledger, cmd C, account string, o Origin) ([]proto.Message, error)) command {
	var zero C
	name := zero.ProtoReflect().Descriptor().FullName()
	d := func(l *Ledger, cmd proto.Message, account string, o Origin) ([]proto.Message, error) {
		return decide(l, cmd.(C), account, o)
	}
	return command{
		name:   name,
		decide: d,
		new:    func() proto.Message { return zero.ProtoReflect().Type().New().Interface() },
		target: func(cmd proto.Message) (target, error) {
			x, ok := cmd.(C)
			if !ok {
				return target{}, fmt.Errorf("%w: %s is a %T", ErrUnsupportedCommand, name, cmd)
			}
			return where(x), nil
		},
		execute: func(ctx context.Context, c *Commander, cmd proto.Message, t target, m Meta) (Result, error) {
			return c.once(ctx, cmd, t, m, d)
		},
	}
}

// onDebtor is a command decided on the stream of the debtor it names.
func onDebtor[C ledgerCommand](decide func(*Ledger, C, Origin) ([]proto.Message, error), debtor func(C) string) command {
	return row(func(c C) target { return target{tenant: c.GetTenant(), debtor: debtor(c)} },
		func(l *Ledger, c C, _ string, o Origin) ([]proto.Message, error) { return decide(l, c, o) })
}

// onNewDebtor is a command decided on the stream of the debtor it names,
// which may open the debtor's personal account.
func onNewDebtor[C ledgerCommand](decide func(*Ledger, C, string, Origin) ([]proto.Message, error), debtor func(C) string) command {
	return row(func(c C) target { return target{tenant: c.GetTenant(), debtor: debtor(c), assign: debtor(c)} }, decide)
}

// onRoute is a command decided on the stream of the debtor that holds the
// open item or entry it names; ref returns that reference and the error
// when no debtor holds it.
func onRoute[C ledgerCommand](decide func(*Ledger, C, Origin) ([]proto.Message, error), kind RouteKind, ref func(C) (string, error)) command {
	return row(func(c C) target {
		r, missing := ref(c)
		return target{tenant: c.GetTenant(), kind: kind, ref: r, missing: missing}
	}, func(l *Ledger, c C, _ string, o Origin) ([]proto.Message, error) { return decide(l, c, o) })
}

// onPeriods is a command decided on the tenant's period stream.
func onPeriods[C ledgerCommand](decide func(*Ledger, C, Origin) ([]proto.Message, error)) command {
	return row(func(c C) target { return target{tenant: c.GetTenant(), periods: true} },
		func(l *Ledger, c C, _ string, o Origin) ([]proto.Message, error) { return decide(l, c, o) })
}

// onStream is a command decided on a stream of its own that is neither a
// debtor's nor the period stream.
func onStream[C ledgerCommand](decide func(*Ledger, C, Origin) ([]proto.Message, error), stream func(C) es.StreamID) command {
	return row(func(c C) target { return target{tenant: c.GetTenant(), own: stream(c)} },
		func(l *Ledger, c C, _ string, o Origin) ([]proto.Message, error) { return decide(l, c, o) })
}

// statementCommand is RecordStatementBalance, decided on the bank
// account's statement stream with what the Commander's Postings knows of
// the account's lines in every other stream (the opening balance rule).
func statementCommand() command {
	r := row(func(c *ledgerv1.RecordStatementBalance) target {
		return target{tenant: c.GetTenant(), own: BankStatementStream(c.GetTenant(), c.GetIban())}
	}, nil)
	r.decide = nil
	r.execute = func(ctx context.Context, c *Commander, cmd proto.Message, t target, m Meta) (Result, error) {
		x := cmd.(*ledgerv1.RecordStatementBalance)
		h, err := c.history(ctx, x)
		if err != nil {
			return Result{}, err
		}
		return c.once(ctx, cmd, t, m, func(l *Ledger, cmd proto.Message, _ string, o Origin) ([]proto.Message, error) {
			return l.RecordStatementBalance(cmd.(*ledgerv1.RecordStatementBalance), h, o)
		})
	}
	return r
}

// mergeCommand is MergeDebtor, decided on two debtors' streams at once.
func mergeCommand() command {
	r := row(func(c *ledgerv1.MergeDebtor) target {
		return target{tenant: c.GetTenant(), debtor: c.GetDebtorId(), into: c.GetIntoDebtorId()}
	}, nil)
	r.decide = nil
	r.execute = func(ctx context.Context, c *Commander, cmd proto.Message, t target, m Meta) (Result, error) {
		return c.merge(ctx, cmd.(*ledgerv1.MergeDebtor), t, m)
	}
	return r
}
