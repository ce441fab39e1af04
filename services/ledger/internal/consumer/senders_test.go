package consumer

import (
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/o2c-platform/o2c/libs/bus"
	"github.com/o2c-platform/o2c/libs/fault"
	"github.com/o2c-platform/o2c/libs/tenants/tenantstest"
	"github.com/o2c-platform/o2c/services/ledger/internal/books"
)

// entitled is the entitlement table as this test expects it, written out
// independently of books.Senders: a change to who may send what must be
// made in both.
var entitled = map[string][]string{
	"ApplyPayment":           {"matching"},
	"ReturnPayment":          {"matching"},
	"WriteOff":               {"collections", "matching"},
	"RecoverWrittenOff":      {"collections", "matching"},
	"AssessCharge":           {"dunning", "matching"},
	"RecordAgencyCollection": {"collections"},
	"IssueCreditNote":        {"matching", "refund-import"},
	"ReverseEntry":           {"matching", "refund-import"},
	"PayOutCreditBalance":    {"matching"},
}

// bareCommand returns the message a sender publishes for an empty command
// of the ledger's with full name name, for tenant demo.
func bareCommand(tb testing.TB, name, sender string) bus.Msg {
	tb.Helper()
	cmd, ok := books.NewCommand(name)
	if !ok {
		tb.Fatalf("%s is no ledger command", name)
	}
	fields := cmd.ProtoReflect().Descriptor().Fields()
	cmd.ProtoReflect().Set(fields.ByName("tenant"), protoreflect.ValueOfString("demo"))
	cmd.ProtoReflect().Set(fields.ByName("idempotency_key"), protoreflect.ValueOfString("key-1"))
	data, err := proto.Marshal(cmd)
	if err != nil {
		tb.Fatal(err)
	}
	return bus.Msg{Subject: CommandSubject("demo", sender, cmd), Data: data, Stream: bus.ServiceStream(sender)}
}

// TestCommandIsTakenOnlyFromItsSenders sends every ledger command from
// every service that sends the ledger commands. Each pair the entitlement
// table allows reaches the books; every other pair is rejected as
// forbidden with the reason code not_entitled and a reason naming sender
// and command, and books nothing.
func TestCommandIsTakenOnlyFromItsSenders(t *testing.T) {
	t.Parallel()
	classify := fault.Chain(books.Errors.Classify)
	for _, name := range books.CommandNames() {
		short := name[strings.LastIndexByte(name, '.')+1:]
		for _, sender := range CommandSources() {
			allowed := slices.Contains(entitled[short], sender)
			verdict := "refused"
			if allowed {
				verdict = "allowed"
			}
			t.Run(sender+"/"+short+"/"+verdict, func(t *testing.T) {
				t.Parallel()
				rec := &recorder{}
				b := &Booker{Commands: rec, Tenants: tenantstest.File(t, "demo")}
				msg := bareCommand(t, name, sender)
				err := b.BookCommand(t.Context(), msg)
				if allowed {
					if err != nil || len(rec.cmds) != 1 {
						t.Fatalf("error %v and %d commands booked, want it booked", err, len(rec.cmds))
					}
					return
				}
				if len(rec.cmds) != 0 {
					t.Errorf("%d commands reached the books, want none", len(rec.cmds))
				}
				if c := classify(err); c != fault.Forbidden {
					t.Errorf("class %v (%v), want forbidden", c, err)
				}
				if d := fault.DetailOf(err); d.Code != "not_entitled" || d.Document != "key-1" {
					t.Errorf("detail %+v, want code not_entitled and document key-1", d)
				}
				if want := "service " + sender + " may not send " + short; err == nil || !strings.Contains(err.Error(), want) {
					t.Errorf("reason %v, want it to say %q", err, want)
				}
			})
		}
	}
}

// TestRegisterInvoiceOnAMatchingSubjectIsRejected is the hostile case: a
// bare RegisterInvoice on o2c.demo.matching.ledger.register-invoice would
// book an invoice that never passed ingestion's validation. It is
// rejected with a reason naming sender and command.
func TestRegisterInvoiceOnAMatchingSubjectIsRejected(t *testing.T) {
	t.Parallel()
	rec := &recorder{}
	b := &Booker{Commands: rec, Tenants: tenantstest.File(t, "demo")}
	msg := bareCommand(t, "o2c.ledger.v1.RegisterInvoice", "matching")
	msg.Stream = ""
	err := b.BookCommand(t.Context(), msg)
	const want = "command RegisterInvoice on o2c.demo.matching.ledger.register-invoice: " +
		"service matching may not send RegisterInvoice: invoices are booked only from ingestion's validated invoices"
	if err == nil || err.Error() != want {
		t.Errorf("error %v, want %q", err, want)
	}
	if len(rec.cmds) != 0 {
		t.Errorf("%d commands reached the books, want none", len(rec.cmds))
	}
}

// TestCommandFromAnotherStreamIsRejected checks that a command on a
// sender's subject read from another stream than the sender's own is
// rejected: only the sender's user publishes into its stream.
func TestCommandFromAnotherStreamIsRejected(t *testing.T) {
	t.Parallel()
	rec := &recorder{}
	b := &Booker{Commands: rec, Tenants: tenantstest.File(t, "demo")}
	msg := bareCommand(t, "o2c.ledger.v1.ApplyPayment", "matching")
	msg.Stream = bus.ServiceStream("ingestion")
	err := b.BookCommand(t.Context(), msg)
	if c := fault.Chain(books.Errors.Classify)(err); c != fault.Forbidden {
		t.Errorf("class %v (%v), want forbidden", c, err)
	}
	if err == nil || !strings.Contains(err.Error(), "read from stream O2C_INGESTION, but matching's commands travel only in O2C_MATCHING") {
		t.Errorf("reason %v, want it to name both streams", err)
	}
	if len(rec.cmds) != 0 {
		t.Errorf("%d commands reached the books, want none", len(rec.cmds))
	}
}

// TestEntitlementTable checks books.Senders against the table above for
// every command, so that the pairs TestCommandIsTakenOnlyFromItsSenders
// tries are all there are.
func TestEntitlementTable(t *testing.T) {
	t.Parallel()
	for _, name := range books.CommandNames() {
		short := name[strings.LastIndexByte(name, '.')+1:]
		if diff := cmp.Diff(entitled[short], books.Senders(name)); diff != "" {
			t.Errorf("senders of %s (-want +got):\n%s", short, diff)
		}
		for _, s := range books.Senders(name) {
			if !slices.Contains(CommandSources(), s) {
				t.Errorf("%s may come from %s, whose stream the ledger does not read", short, s)
			}
		}
	}
}
