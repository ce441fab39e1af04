package sepa

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/o2c-platform/o2c/libs/sepa"
)

// The message types of the files.
const (
	Pain008 = "pain.008.001.08"
	Pain001 = "pain.001.001.09"
)

// File is a pain file a run wrote.
type File struct {
	Tenant, Name, MessageType, MessageID string
	// Account is the creditor account (collections) or the account paid
	// from (payouts); Scheme CORE or B2B, empty for a payout.
	Account, Scheme string
	// Date is the collection or execution date, RunDate the run's day.
	Date, RunDate time.Time
	Count         int
	Total         int64
	EndToEndIDs   []string
	Created       time.Time
	// Path is where it was written.
	Path    string
	Content []byte
}

// RunState is what a collection run reads from storage.
type RunState struct {
	// Items are the tenant's open receivables with their payment method.
	Items    []Item
	Mandates []Mandate
	Blocks   map[string]string
	Debits   []Debit
}

// PayoutState is what a payout run reads from storage.
type PayoutState struct {
	Credits         []Credit
	OpenReceivables map[string]int
	Blocks          map[string]string
	Mandates        []Mandate
	PaidOut         map[string]bool
	Rejections      map[string]int
}

// Saved is what a collection run stores in one transaction.
type Saved struct {
	Tenant    string
	RunDate   time.Time
	PreNotify []Debit
	Submit    []Debit
	Cancel    []Debit
	Files     []File
	// Mandates submitted under now: their amendment is cleared and their
	// last collection set.
	Collected map[string]time.Time
}

// Store is the storage a Runner uses (postgres.Store). Its errors are
// storage failures, or ErrUnknownFile from File.
type Store interface {
	// SyncStatement takes in what the bank statements showed since the
	// last call: a collection booked (the debit booked, its mandate past
	// FRST), a collection returned (the debit returned with its reason,
	// the mandate unusable when MakesUnusable), a payout debited.
	SyncStatement(ctx context.Context, tenant string) error
	RunState(ctx context.Context, tenant string) (RunState, error)
	// SaveRun stores a run's decisions and files; a debit already
	// submitted by a concurrent run makes it fail with a conflict.
	SaveRun(ctx context.Context, s Saved) error
	// Files lists the tenant's files of a message type written by runs of
	// runDate (zero: of every day).
	Files(ctx context.Context, tenant, messageType string, runDate time.Time) ([]File, error)
	File(ctx context.Context, tenant, name string) (File, error)
	PayoutState(ctx context.Context, tenant string) (PayoutState, error)
	// DebitedPayouts returns the payouts the statement showed and the
	// ledger was not told of; MarkPayoutsBooked records that it was.
	DebitedPayouts(ctx context.Context, tenant string) ([]PayoutBooking, error)
	MarkPayoutsBooked(ctx context.Context, tenant string, e2es []string) error
	// SavePayout stores a payout file and the credit items it pays out.
	SavePayout(ctx context.Context, f File, dues []PayoutDue) error
	// StatusState reads the tenant's file with the message id and its
	// debits or transfers, for a status report on it.
	StatusState(ctx context.Context, tenant, messageID string) (StatusState, error)
	// SaveStatusReport stores a status report and applies its plan in one
	// transaction: a rejected debit or transfer only while it is still
	// submitted (not debited), its mandate made unusable when the plan
	// says so and, for a debit, its last collection that of the
	// collections the bank took and the amendment the debit carried
	// pending again; the status recorded. A report whose message id was stored
	// before changes nothing: the result is the first import's, with
	// Duplicate set.
	SaveStatusReport(ctx context.Context, s StatusSaved) (StatusResult, error)
}

// Runner runs collections and payouts for the tenants: it reads storage,
// decides (PlanRun, PlanPayouts), writes the files and pre-notifications
// below Dir and stores what it did.
type Runner struct {
	Store   Store
	Configs map[string]Config
	// Dir is the output directory when a tenant's config names none; each
	// tenant writes below Dir/<tenant>.
	Dir string
	Now func() time.Time
	// Registry, when set, learns the end-to-end ids of every debit
	// submitted, for the engine.
	Registry *Registry
	// Ledger, when set, books the payouts the statements showed; without
	// one they stay debited and unbooked.
	Ledger Ledger
}

// PayoutBooking is a credit item's payout the statement showed: the
// ledger books it with PayOutCreditBalance (debit the debtor, credit the
// bank account, clear the credit item) on Date, the statement's booking
// date.
type PayoutBooking struct {
	Item, Debtor, EndToEndID string
	// Account is the tenant's account the money left.
	Account string
	Amount  int64
	Date    time.Time
}

// Ledger books payouts in the ledger. BookPayouts is idempotent per
// transfer (end-to-end id): booking one again sends nothing twice.
type Ledger interface {
	BookPayouts(ctx context.Context, tenant string, bs []PayoutBooking) error
}

// Sync takes in what the tenant's statements showed (collections booked
// and returned, payouts debited) and books the payouts debited. Collect
// and Payouts call it first; the service also runs it periodically.
func (r *Runner) Sync(ctx context.Context, tenant string) error {
	if err := r.Store.SyncStatement(ctx, tenant); err != nil {
		return fmt.Errorf("take in statements: %w", err)
	}
	if r.Ledger == nil {
		return nil
	}
	bs, err := r.Store.DebitedPayouts(ctx, tenant)
	if err != nil || len(bs) == 0 {
		return err
	}
	if err := r.Ledger.BookPayouts(ctx, tenant, bs); err != nil {
		return fmt.Errorf("book payouts: %w", err)
	}
	var e2es []string
	for _, b := range bs {
		if !slices.Contains(e2es, b.EndToEndID) {
			e2es = append(e2es, b.EndToEndID)
		}
	}
	return r.Store.MarkPayoutsBooked(ctx, tenant, e2es)
}

// CollectResult is what a collection run did.
type CollectResult struct {
	Plan             Plan
	Files            []File
	Held             []Debit
	PreNotifications []string
}

// Config returns the tenant's sepa configuration.
func (r *Runner) Config(tenant string) Config {
	if c, ok := r.Configs[tenant]; ok {
		return c
	}
	return DefaultConfig()
}

func (r *Runner) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

// dir is the tenant's output directory.
func (r *Runner) dir(tenant string) string {
	base := r.Config(tenant).OutputDir
	if base == "" {
		base = r.Dir
	}
	if base == "" {
		base = filepath.Join(os.TempDir(), "o2c-sepa")
	}
	return filepath.Join(base, tenant)
}

// Collect runs the tenant's collection for day. A dry run decides and
// returns the plan without writing or storing anything. Otherwise the
// files of the debits due are written and stored with the pre-notified
// debits in one transaction; files of earlier runs of the same day are
// returned again (and written again when they are missing on disk).
func (r *Runner) Collect(ctx context.Context, tenant string, day time.Time, dry bool) (CollectResult, error) {
	cfg := r.Config(tenant)
	if len(cfg.CreditorAccounts) == 0 {
		return CollectResult{}, fmt.Errorf("tenant %s: %w", tenant, ErrNoCreditorAccount)
	}
	day = Day(day)
	if err := r.Sync(ctx, tenant); err != nil {
		return CollectResult{}, err
	}
	st, err := r.Store.RunState(ctx, tenant)
	if err != nil {
		return CollectResult{}, err
	}
	plan := PlanRun(RunInput{Tenant: tenant, Date: day, Config: cfg, Items: st.Items, Mandates: st.Mandates,
		Blocks: st.Blocks, Debits: st.Debits})
	res := CollectResult{Plan: plan}
	if dry {
		return res, nil
	}
	mandates := map[string]Mandate{}
	for _, m := range st.Mandates {
		mandates[m.Reference] = m
	}
	created := r.now().UTC().Truncate(time.Second)
	all, err := r.Store.Files(ctx, tenant, Pain008, time.Time{})
	if err != nil {
		return res, err
	}
	earlier := ofDay(all, day)
	keys, groups := Group(plan.Submit)
	var submit []Debit
	collected := map[string]time.Time{}
	for i, k := range keys {
		acct, err := cfg.Account(k.Account)
		if err != nil {
			return res, err
		}
		// Numbered across the tenant's files, so message ids stay unique
		// when runs of several days start in the same second.
		seq := len(all) + i + 1
		msgID := sepa.MessageID(tenant, created, seq)
		c := Collection(k, msgID, created, acct, groups[k], mandates)
		content, held, err := WriteCollection(c)
		heldIDs := map[string]string{}
		for _, h := range held {
			heldIDs[h.EndToEndID] = h.Reason
		}
		for _, d := range groups[k] {
			if why, ok := heldIDs[d.EndToEndID]; ok || err != nil {
				if err != nil && !ok {
					why = err.Error()
				}
				d.Reason = why
				res.Held = append(res.Held, d)
			}
		}
		if err != nil {
			continue
		}
		f := File{Tenant: tenant, Name: k.Name(tenant, seq), MessageType: Pain008, MessageID: msgID, Account: k.Account,
			Scheme: k.Scheme, Date: k.Collection, RunDate: day, Created: created, Content: content}
		for _, d := range groups[k] {
			if _, ok := heldIDs[d.EndToEndID]; ok {
				continue
			}
			d.State, d.File = Submitted, f.Name
			submit = append(submit, d)
			f.Count++
			f.Total += d.Amount
			f.EndToEndIDs = append(f.EndToEndIDs, d.EndToEndID)
			if c := collected[d.Mandate]; Day(d.Collection).After(c) {
				collected[d.Mandate] = Day(d.Collection)
			}
		}
		f.Path = filepath.Join(r.dir(tenant), f.Name)
		res.Files = append(res.Files, f)
	}
	res.Plan.Submit = submit
	// The debtors are told before the debits are stored as pre-notified:
	// a debit is never collected without its text in the outbox (a run
	// failing in between writes the same texts again).
	if res.PreNotifications, err = r.preNotify(tenant, cfg, day, plan.PreNotify, mandates); err != nil {
		return res, err
	}
	if err := r.Store.SaveRun(ctx, Saved{Tenant: tenant, RunDate: day, PreNotify: plan.PreNotify, Submit: submit,
		Cancel: plan.Cancel, Files: res.Files, Collected: collected}); err != nil {
		return res, err
	}
	if r.Registry != nil {
		r.Registry.Add(tenant, submit)
	}
	// A pain file is written once it is stored: a file on disk is always
	// one the run recorded (else it could be sent and collected twice).
	for _, f := range res.Files {
		if err := writeFile(f.Path, f.Content); err != nil {
			return res, err
		}
	}
	for _, f := range earlier {
		if _, err := os.Stat(f.Path); err != nil {
			if err := writeFile(f.Path, f.Content); err != nil {
				return res, err
			}
		}
	}
	res.Files = append(earlier, res.Files...)
	return res, nil
}

// preNotify writes one text per debtor and mandate into the outbox
// directory (<dir>/prenotifications/<day>-<debtor>-<mandate>.txt).
func (r *Runner) preNotify(tenant string, cfg Config, day time.Time, ds []Debit, mandates map[string]Mandate) ([]string, error) {
	type key struct{ debtor, mandate string }
	per := map[key][]Debit{}
	var keys []key
	for _, d := range ds {
		k := key{d.Debtor, d.Mandate}
		if _, ok := per[k]; !ok {
			keys = append(keys, k)
		}
		per[k] = append(per[k], d)
	}
	var paths []string
	for _, k := range keys {
		m := mandates[k.mandate]
		acct, err := cfg.Account(m.Account)
		if err != nil {
			return paths, err
		}
		name := fmt.Sprintf("%s-%s-%s.txt", day.Format("20060102"), safe(k.debtor), safe(k.mandate))
		p := filepath.Join(r.dir(tenant), "prenotifications", name)
		if err := writeFile(p, []byte(PreNotification(acct, m, per[k]))); err != nil {
			return paths, err
		}
		paths = append(paths, p)
	}
	return paths, nil
}

// safe keeps a name a file name.
func safe(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_', r == '.':
			return r
		}
		return '_'
	}, s)
}

func writeFile(path string, content []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return fmt.Errorf("output directory: %w", err)
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, content, 0o640); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// PayoutResult is what a payout run found and did.
type PayoutResult struct {
	Due  []PayoutDue
	File *File
	Held []Held
}

// Payouts runs the tenant's payouts for day: every credit balance with
// the rules' verdict, and (unless dry) one pain.001 of the released ones
// from the tenant's first account. A credit item in a file is never paid
// out again; a rerun of the day returns the day's file.
func (r *Runner) Payouts(ctx context.Context, tenant string, day time.Time, dry bool) (PayoutResult, error) {
	cfg := r.Config(tenant)
	acct, err := cfg.Account("")
	if err != nil {
		return PayoutResult{}, fmt.Errorf("tenant %s: %w", tenant, err)
	}
	day = Day(day)
	if err := r.Sync(ctx, tenant); err != nil {
		return PayoutResult{}, err
	}
	st, err := r.Store.PayoutState(ctx, tenant)
	if err != nil {
		return PayoutResult{}, err
	}
	res := PayoutResult{Due: PlanPayouts(PayoutInput{Tenant: tenant, Date: day, Config: cfg, Credits: st.Credits,
		OpenReceivables: st.OpenReceivables, Blocks: st.Blocks, Mandates: st.Mandates, PaidOut: st.PaidOut,
		Rejections: st.Rejections})}
	if dry {
		return res, nil
	}
	all, err := r.Store.Files(ctx, tenant, Pain001, time.Time{})
	if err != nil {
		return res, err
	}
	earlier := ofDay(all, day)
	released := slices.ContainsFunc(res.Due, func(d PayoutDue) bool { return d.Released })
	if !released {
		if len(earlier) > 0 {
			res.File = &earlier[len(earlier)-1]
		}
		return res, nil
	}
	created := r.now().UTC().Truncate(time.Second)
	seq := len(all) + 1
	msgID := sepa.MessageID(tenant+"P", created, seq)
	p := Payout(msgID, created, AddBusinessDays(day, cfg.Payouts.ExecutionDays), acct, res.Due)
	content, held, err := WritePayout(p)
	res.Held = held
	if err != nil {
		return res, err
	}
	heldIDs := map[string]bool{}
	for _, h := range held {
		heldIDs[h.EndToEndID] = true
	}
	f := File{Tenant: tenant, Name: fmt.Sprintf("pain001-%s-%s-%d.xml", tenant, day.Format("20060102"), seq),
		MessageType: Pain001, MessageID: msgID, Account: acct.IBAN, Date: p.Execution, RunDate: day, Created: created,
		Content: content}
	var paid []PayoutDue
	for i := range res.Due {
		d := &res.Due[i]
		if !d.Released {
			continue
		}
		if heldIDs[d.EndToEndID] {
			d.Released = false
			d.Why = "held back: the file writer refused it"
			continue
		}
		f.Count++
		f.Total += d.Amount
		f.EndToEndIDs = append(f.EndToEndIDs, d.EndToEndID)
		paid = append(paid, *d)
	}
	f.Path = filepath.Join(r.dir(tenant), f.Name)
	if err := r.Store.SavePayout(ctx, f, paid); err != nil {
		return res, err
	}
	if err := writeFile(f.Path, f.Content); err != nil {
		return res, err
	}
	res.File = &f
	return res, nil
}

// ofDay returns the files written by runs of day.
func ofDay(fs []File, day time.Time) []File {
	var out []File
	for _, f := range fs {
		if f.RunDate.Equal(day) {
			out = append(out, f)
		}
	}
	return out
}
