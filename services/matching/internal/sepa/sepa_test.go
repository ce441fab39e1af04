package sepa

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func date(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

func testConfig(tb testing.TB) Config {
	tb.Helper()
	c, err := ParseConfig([]byte(`{"creditor_accounts":[{"iban":"DE44 5001 0517 5407 3249 31","creditor_id":"DE98ZZZ09999999999","name":"Acme"}]}`))
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

func TestBusinessDays(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name string
		from time.Time
		n    int
		want time.Time
	}{
		{"weekday plus one", date(2026, 12, 14), 1, date(2026, 12, 15)},
		{"Friday plus one is Monday", date(2026, 12, 11), 1, date(2026, 12, 14)},
		{"Saturday counts from Monday", date(2026, 12, 12), 1, date(2026, 12, 15)},
		{"over Christmas and New Year", date(2026, 12, 24), 2, date(2026, 12, 29)},
		{"New Year's Day", date(2026, 12, 31), 1, date(2027, 1, 4)},
		{"Good Friday and Easter Monday 2027", date(2027, 3, 25), 1, date(2027, 3, 30)},
		{"1 May", date(2026, 4, 30), 1, date(2026, 5, 4)},
	} {
		if got := AddBusinessDays(c.from, c.n); !got.Equal(c.want) {
			t.Errorf("%s: AddBusinessDays(%s, %d) = %s, want %s", c.name, c.from.Format(time.DateOnly), c.n,
				got.Format(time.DateOnly), c.want.Format(time.DateOnly))
		}
	}
}

func TestCollectionDate(t *testing.T) {
	t.Parallel()
	c := testConfig(t)
	for _, tc := range []struct {
		name     string
		day, due time.Time
		days     int
		want     time.Time
	}{
		{"14 days' notice", date(2026, 12, 1), date(2026, 12, 1), 14, date(2026, 12, 15)},
		{"due later than the notice", date(2026, 12, 1), date(2026, 12, 20), 14, date(2026, 12, 21)},
		{"notice ends on a Saturday", date(2026, 12, 5), date(2026, 12, 1), 14, date(2026, 12, 21)},
		{"shorter notice agreed: the lead time still holds", date(2026, 12, 11), date(2026, 12, 1), 1, date(2026, 12, 14)},
	} {
		c.PreNotificationDays = tc.days
		if got := CollectionDate(c, tc.day, tc.due, SchemeCore); !got.Equal(tc.want) {
			t.Errorf("%s: %s, want %s", tc.name, got.Format(time.DateOnly), tc.want.Format(time.DateOnly))
		}
	}
}

func mandate(ref, debtor string) Mandate {
	return Mandate{Tenant: "acme", Reference: ref, Debtor: debtor, Name: "Erika Mustermann", IBAN: "DE89370400440532013000",
		SignedOn: date(2026, 1, 10), Scheme: SchemeCore, Source: SourceOperator}
}

func item(id, debtor string, open int64) Item {
	return Item{ID: id, Debtor: debtor, Document: "RE-" + id, Currency: "EUR", Open: open, DueDate: date(2026, 12, 1), DirectDebit: true}
}

// summary is a plan as lines a reader checks at a glance.
func summary(p Plan) []string {
	var out []string
	for _, d := range p.PreNotify {
		out = append(out, "notify "+d.Item+" "+d.Sequence+" "+d.Collection.Format(time.DateOnly))
	}
	for _, d := range p.Submit {
		out = append(out, "submit "+d.Item+" "+d.Sequence+" "+d.Collection.Format(time.DateOnly))
	}
	for _, d := range p.Cancel {
		out = append(out, "cancel "+d.Item+": "+d.Reason)
	}
	for _, s := range p.Skipped {
		out = append(out, "skip "+s.Item+": "+s.Reason)
	}
	return out
}

func TestPlanRun(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t)
	notified := func(id string, amount int64, collection time.Time) Debit {
		return Debit{Item: id, Debtor: "D-1", Attempt: 1, EndToEndID: EndToEndID("acme", id, 1), Mandate: "M-1", Amount: amount,
			Sequence: SeqFirst, Scheme: SchemeCore, Account: "DE44500105175407324931", Collection: collection,
			PreNotified: date(2026, 12, 1), State: Prenotified}
	}
	booked := mandate("M-1", "D-1")
	booked.FirstBooked, booked.LastCollected = true, date(2026, 11, 2)
	returnedUsable := notified("I-1", 1000, date(2026, 12, 15))
	returnedUsable.State, returnedUsable.Reason = Returned, "MS02"
	unusable := mandate("M-1", "D-1")
	unusable.Unusable = "MD01"
	old := mandate("M-1", "D-1")
	old.SignedOn, old.LastCollected = date(2022, 1, 10), date(2023, 11, 30)
	oneOff := mandate("M-1", "D-1")
	oneOff.OneOff = true
	for _, c := range []struct {
		name     string
		day      time.Time
		items    []Item
		mandates []Mandate
		blocks   map[string]string
		debits   []Debit
		want     []string
	}{
		{name: "a new item is pre-notified, FRST before a booked collection", day: date(2026, 12, 1),
			items: []Item{item("I-1", "D-1", 1000)}, mandates: []Mandate{mandate("M-1", "D-1")},
			want: []string{"notify I-1 FRST 2026-12-15"}},
		{name: "RCUR once a collection was booked", day: date(2026, 12, 1),
			items: []Item{item("I-1", "D-1", 1000)}, mandates: []Mandate{booked},
			want: []string{"notify I-1 RCUR 2026-12-15"}},
		{name: "OOFF for a one-off mandate, once", day: date(2026, 12, 1),
			items: []Item{item("I-1", "D-1", 1000), item("I-2", "D-1", 500)}, mandates: []Mandate{oneOff},
			want: []string{"notify I-1 OOFF 2026-12-15", "skip I-2: one-off mandate M-1 used by another item of this run"}},
		{name: "waits until the lead time", day: date(2026, 12, 11),
			items: []Item{item("I-1", "D-1", 1000)}, mandates: []Mandate{mandate("M-1", "D-1")},
			debits: []Debit{notified("I-1", 1000, date(2026, 12, 15))},
			want:   []string{"skip I-1: pre-notified for 2026-12-15; submitted 1 business day(s) before"}},
		{name: "submitted D-1", day: date(2026, 12, 14),
			items: []Item{item("I-1", "D-1", 1000)}, mandates: []Mandate{mandate("M-1", "D-1")},
			debits: []Debit{notified("I-1", 1000, date(2026, 12, 15))},
			want:   []string{"submit I-1 FRST 2026-12-15"}},
		{name: "a missed run collects later, never earlier", day: date(2026, 12, 16),
			items: []Item{item("I-1", "D-1", 1000)}, mandates: []Mandate{mandate("M-1", "D-1")},
			debits: []Debit{notified("I-1", 1000, date(2026, 12, 15))},
			want:   []string{"submit I-1 FRST 2026-12-17"}},
		{name: "a submitted item is never collected twice", day: date(2026, 12, 20),
			items: []Item{item("I-1", "D-1", 1000)}, mandates: []Mandate{mandate("M-1", "D-1")},
			debits: []Debit{func() Debit {
				d := notified("I-1", 1000, date(2026, 12, 15))
				d.State, d.File = Submitted, "f.xml"
				return d
			}()},
			want: []string{"skip I-1: collected in f.xml (" + EndToEndID("acme", "I-1", 1) + "), submitted"}},
		{name: "a changed amount is pre-notified again", day: date(2026, 12, 14),
			items: []Item{item("I-1", "D-1", 600)}, mandates: []Mandate{mandate("M-1", "D-1")},
			debits: []Debit{notified("I-1", 1000, date(2026, 12, 15))},
			want:   []string{"notify I-1 FRST 2026-12-28", "cancel I-1: amount or mandate changed since the pre-notification"}},
		{name: "a paid item's pre-notification is cancelled", day: date(2026, 12, 14),
			items: []Item{item("I-1", "D-1", 0)}, mandates: []Mandate{mandate("M-1", "D-1")},
			debits: []Debit{notified("I-1", 1000, date(2026, 12, 15))},
			want:   []string{"cancel I-1: item no longer open"}},
		{name: "no longer paid by direct debit", day: date(2026, 12, 14),
			items: []Item{{ID: "I-1", Debtor: "D-1", Currency: "EUR", Open: 1000}}, mandates: []Mandate{mandate("M-1", "D-1")},
			debits: []Debit{notified("I-1", 1000, date(2026, 12, 15))},
			want:   []string{"cancel I-1: no longer paid by direct debit"}},
		{name: "blocked (dispute) is not collected", day: date(2026, 12, 14),
			items: []Item{item("I-1", "D-1", 1000)}, mandates: []Mandate{mandate("M-1", "D-1")},
			blocks: map[string]string{"I-1": "dispute"}, debits: []Debit{notified("I-1", 1000, date(2026, 12, 15))},
			want: []string{"cancel I-1: item blocked: dispute", "skip I-1: item blocked: dispute"}},
		{name: "a return with MS02 is collected again under a new attempt", day: date(2026, 12, 21),
			items: []Item{item("I-1", "D-1", 1000)}, mandates: []Mandate{booked}, debits: []Debit{returnedUsable},
			want: []string{"notify I-1 RCUR 2027-01-04"}},
		{name: "an unusable mandate (MD01) collects nothing", day: date(2026, 12, 21),
			items: []Item{item("I-1", "D-1", 1000)}, mandates: []Mandate{unusable},
			want: []string{"skip I-1: mandate unusable after a return with reason MD01 (no valid mandate)"}},
		{name: "a mandate unused for 36 months expired", day: date(2026, 12, 1),
			items: []Item{item("I-1", "D-1", 1000)}, mandates: []Mandate{old},
			want: []string{"skip I-1: mandate expired on 2026-11-30 (unused for 36 months)"}},
		{name: "no mandate, not direct debit, other currency", day: date(2026, 12, 1),
			items: []Item{item("I-1", "D-9", 1000), {ID: "I-2", Debtor: "D-1", Currency: "EUR", Open: 10},
				{ID: "I-3", Debtor: "D-1", Currency: "CHF", Open: 10, DirectDebit: true}},
			mandates: []Mandate{mandate("M-1", "D-1")},
			want:     []string{"skip I-1: no mandate", "skip I-3: currency CHF: SEPA collects euros only"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			got := summary(PlanRun(RunInput{Tenant: "acme", Date: c.day, Config: cfg, Items: c.items, Mandates: c.mandates,
				Blocks: c.blocks, Debits: c.debits}))
			if diff := cmp.Diff(c.want, got); diff != "" {
				t.Errorf("plan (-want +got):\n%s", diff)
			}
		})
	}
}

func TestReturnPlanUsesANewEndToEndID(t *testing.T) {
	t.Parallel()
	if EndToEndID("acme", "I-1", 1) == EndToEndID("acme", "I-1", 2) || len(EndToEndID("acme", "I-1", 1)) > 35 {
		t.Errorf("end-to-end ids %q %q: want distinct, at most 35", EndToEndID("acme", "I-1", 1), EndToEndID("acme", "I-1", 2))
	}
}

func TestReturnReasons(t *testing.T) {
	t.Parallel()
	for code, unusable := range map[string]bool{"AC04": true, "AC06": true, "MD01": true, "MD07": true, "SL01": true, "AC01": true,
		"AM04": false, "MS02": false, "MS03": false, "MD06": false, "XX99": false, " ac04 ": true} {
		if got := MakesUnusable(code); got != unusable {
			t.Errorf("MakesUnusable(%q) = %v, want %v", code, got, unusable)
		}
	}
}

func TestAmend(t *testing.T) {
	t.Parallel()
	used := mandate("M-1", "D-1")
	used.LastCollected, used.FirstBooked, used.Unusable = date(2026, 11, 2), true, "AC04"
	next := mandate("M-2", "D-1")
	next.IBAN = "DE75512108001245126199"
	got := Amend(used, next)
	if diff := cmp.Diff(&Amendment{OriginalReference: "M-1", NewAccount: true}, got.Amendment); diff != "" {
		t.Errorf("amendment (-want +got):\n%s", diff)
	}
	if !got.FirstBooked || got.Unusable != "" {
		t.Errorf("first booked %v, unusable %q: want the state carried and AC04 lifted by the new account", got.FirstBooked, got.Unusable)
	}
	if fresh := Amend(mandate("M-1", "D-1"), next); fresh.Amendment != nil {
		t.Errorf("a mandate never collected from carries %v; the bank saw no other version", fresh.Amendment)
	}
}

func TestParseConfig(t *testing.T) {
	t.Parallel()
	c := testConfig(t)
	if c.CreditorAccounts[0].IBAN != "DE44500105175407324931" || c.PreNotificationDays != 14 || c.LeadDays != (LeadDays{1, 1}) {
		t.Errorf("config %+v", c)
	}
	for _, bad := range []string{`{"creditor_accounts":[{"iban":"DE00500105175407324931","creditor_id":"DE98ZZZ09999999999","name":"A"}]}`,
		`{"creditor_accounts":[{"iban":"DE44500105175407324931","creditor_id":"DE99ZZZ09999999999","name":"A"}]}`,
		`{"pre_notification_days":0}`, `{"unknown":1}`} {
		if _, err := ParseConfig([]byte(bad)); err == nil {
			t.Errorf("ParseConfig(%s) accepted", bad)
		}
	}
}

// TestPayoutWeekdays: payouts.run_weekdays names the days the scheduled
// run pays out on; an unknown name is refused naming it, none (the
// default) and disabled payouts pay out on no day.
func TestPayoutWeekdays(t *testing.T) {
	t.Parallel()
	c, err := ParseConfig([]byte(`{"payouts":{"run_weekdays":["mon","thu"]}}`))
	if err != nil {
		t.Fatal(err)
	}
	var days []time.Weekday
	for d := time.Sunday; d <= time.Saturday; d++ {
		if c.Payouts.RunsOn(d) {
			days = append(days, d)
		}
	}
	if !slices.Equal(days, []time.Weekday{time.Monday, time.Thursday}) {
		t.Errorf("runs on %v, want Monday and Thursday", days)
	}
	off := c.Payouts
	off.Disabled = true
	for d := time.Sunday; d <= time.Saturday; d++ {
		if off.RunsOn(d) || DefaultConfig().Payouts.RunsOn(d) {
			t.Errorf("disabled or default payouts run on %v", d)
		}
	}
	if _, err := ParseConfig([]byte(`{"payouts":{"run_weekdays":["mon","Monday"]}}`)); !errors.Is(err, ErrInvalidConfig) || !strings.Contains(err.Error(), `run_weekdays[1]: "Monday"`) {
		t.Errorf("an unknown weekday: %v", err)
	}
}

func TestPlanPayouts(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t)
	credit := func(id, debtor string, open int64, issued time.Time) Credit {
		return Credit{Item: id, Debtor: debtor, Currency: "EUR", Open: open, IssueDate: issued}
	}
	got := PlanPayouts(PayoutInput{Tenant: "acme", Date: date(2026, 12, 1), Config: cfg,
		Credits: []Credit{credit("C-1", "D-1", -1500, date(2026, 11, 1)), credit("C-2", "D-2", -1500, date(2026, 11, 25)),
			credit("C-3", "D-3", -1500, date(2026, 11, 1)), credit("C-4", "D-4", -1500, date(2026, 11, 1)),
			credit("C-5", "D-5", -1500, date(2026, 11, 1)), credit("C-6", "D-1", -900, date(2026, 11, 1))},
		OpenReceivables: map[string]int{"D-3": 1}, Blocks: map[string]string{"C-4": "dispute"},
		Mandates: []Mandate{mandate("M-1", "D-1"), mandate("M-2", "D-2"), mandate("M-3", "D-3"), mandate("M-4", "D-4")},
		PaidOut:  map[string]bool{"C-6": true}})
	var lines []string
	for _, d := range got {
		lines = append(lines, d.Debtor+" "+strings.SplitN(d.Why, " ", 2)[0])
		if d.Released && (d.Debtor != "D-1" || d.Amount != 1500 || d.IBAN == "") {
			t.Errorf("released %+v", d)
		}
	}
	want := []string{"D-1 balance", "D-2 youngest", "D-3 debtor", "D-4 blocked:", "D-5 no"}
	if diff := cmp.Diff(want, lines); diff != "" {
		t.Errorf("payouts (-want +got):\n%s", diff)
	}
}

func TestWriteCollectionHoldsBackRefusedDebits(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t)
	acct, _ := cfg.Account("")
	good, bad := mandate("M-1", "D-1"), mandate("M-2", "D-2")
	bad.Name = "Hans Müller"
	bad.IBAN = "CH9300762011623852957" // outside the EEA: an address is required
	ds := []Debit{
		{Item: "I-1", EndToEndID: "E-1", Mandate: "M-1", Amount: 1000, Sequence: SeqFirst},
		{Item: "I-2", EndToEndID: "E-2", Mandate: "M-2", Amount: 1000, Sequence: SeqFirst},
	}
	k := FileKey{Account: acct.IBAN, Scheme: SchemeCore, Collection: date(2026, 12, 15)}
	c := Collection(k, "MSG-1", time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC), acct, ds, map[string]Mandate{"M-1": good, "M-2": bad})
	out, held, err := WriteCollection(c)
	if err != nil {
		t.Fatal(err)
	}
	if len(held) != 1 || held[0].EndToEndID != "E-2" {
		t.Errorf("held %v, want E-2", held)
	}
	if !strings.Contains(string(out), "E-1") || strings.Contains(string(out), "E-2") {
		t.Errorf("file carries the wrong debits:\n%s", out)
	}
}

// TestGroupOneFilePerAccountSchemeAndDate: debits of two accounts, both
// schemes and two dates make one file each, batches by sequence type.
func TestGroupOneFilePerAccountSchemeAndDate(t *testing.T) {
	t.Parallel()
	d := func(item, acct, scheme, seq string, day int) Debit {
		return Debit{Item: item, Account: acct, Scheme: scheme, Sequence: seq, Collection: date(2026, 12, day)}
	}
	keys, groups := Group([]Debit{d("I-1", "A", SchemeCore, SeqRecurring, 15), d("I-2", "A", SchemeCore, SeqFirst, 15),
		d("I-3", "A", SchemeB2B, SeqFirst, 15), d("I-4", "B", SchemeCore, SeqFirst, 15), d("I-5", "A", SchemeCore, SeqFirst, 16)})
	var got []string
	for _, k := range keys {
		line := k.Account + " " + k.Scheme + " " + k.Collection.Format(time.DateOnly) + ":"
		for _, x := range groups[k] {
			line += " " + x.Item + "/" + x.Sequence
		}
		got = append(got, line)
	}
	want := []string{"A B2B 2026-12-15: I-3/FRST", "A CORE 2026-12-15: I-2/FRST I-1/RCUR", "A CORE 2026-12-16: I-5/FRST",
		"B CORE 2026-12-15: I-4/FRST"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("files (-want +got):\n%s", diff)
	}
}
