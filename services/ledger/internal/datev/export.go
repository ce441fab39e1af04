// Package datev turns the ledger's journal entries of one month into the
// files a tax advisor imports into DATEV: an EXTF Buchungsstapel (format
// category 21) and the debtor master data (format category 16), written
// with libs/formats/datev. It is pure: the caller reads the entries and
// passes them in.
//
// DATEV's rules decide the shape of the export, not the ledger's legs.
// DATEV computes VAT itself, from the gross amount, either because the
// account is an automatic account (SKR03 8400/8300, SKR04 4400/4300, ...,
// Config.Automatic) or from the line's BU-Schlüssel. So every entry becomes
// one line per counter account and tax key (one line per document and tax
// rate): the ledger's VAT legs are folded into the gross amount of the net
// leg they belong to (on the same side, carrying the rate that gives that
// VAT, the nearest before the VAT leg in case of doubt: the books write
// each net leg followed by its VAT, a manual entry may not) and are never
// exported on their own; the BU-Schlüssel is written only where the
// account is not automatic. A VAT leg with no net leg to fold into is
// booked on the VAT account as it is, and a line on an automatic account
// on which the ledger booked no VAT gets key 40 (Aufhebung der Automatik),
// so that DATEV computes none either. A commission with input VAT
// (Vorsteuer) becomes one gross line with key 9. Each line books the
// entry's anchor against a counter account: the anchor is the debtor's
// personal account where the entry has one (the largest such leg), else
// the transit account, else the largest leg that carries no VAT; every
// other leg is booked against it, so the lines add up to the entry's legs
// on every account. Bank accounts are replaced by the transit account
// (Geldtransit): the tax advisor books the bank from the bank's own feed.
//
// DATEV rounds the VAT of each line commercially: gross × rate / (100 +
// rate), half a cent up. Where that differs from the VAT the ledger booked
// for the document and rate (a document whose VAT was rounded per item),
// the line's gross is set so that DATEV's net is the ledger's net, and the
// difference is booked on the VAT account without a key; DATEV's VAT per
// rate and period then equals the ledger's to the cent.
//
// Belegfeld 1 is the document number, which DATEV's open-item matching
// compares exactly; a document number DATEV cannot take there (characters
// other than digits, letters and $ & % * + - /, or longer than 36) is left
// out of Belegfeld 1 and kept in the Buchungstext. Entries in another
// currency than the books' are not exported (DATEV needs a rate for them,
// which the ledger does not keep) and are reported in Summary.Skipped.
//
// The debtor master data names each personal account the bookings name,
// from the debtor's Profile (ingestion's, which the caller reads and, for
// a closed period, records): company or person, billing address, e-mail
// and language, cut or left out where DATEV's field rules require (see
// Debtor.Record); an erased debtor carries no personal data.
package datev

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"time"

	extf "github.com/o2c-platform/o2c/libs/formats/datev"
)

// Line is one leg of a journal entry as the ledger's read model keeps it.
type Line struct {
	// Account is the G/L or personal account.
	Account string
	// DebtorID names the debtor of a personal-account leg.
	DebtorID string
	// Currency is the ISO 4217 code of Minor.
	Currency string
	// Minor is the amount in minor units: positive a debit, negative a
	// credit.
	Minor int64
	// TaxKey is the DATEV tax key the ledger put on a net leg.
	TaxKey string
}

// Entry is one journal entry, its legs in leg order.
type Entry struct {
	// ID is the entry id.
	ID string
	// Date is the effective date (Belegdatum); only its calendar date counts.
	Date time.Time
	// Document is the document number (Belegfeld 1).
	Document string
	// Lines are the legs in leg order; they sum to zero per currency.
	Lines []Line
}

// Period is a calendar month.
type Period struct {
	Year  int
	Month time.Month
}

// String returns the period as YYYY-MM.
func (p Period) String() string { return fmt.Sprintf("%04d-%02d", p.Year, int(p.Month)) }

// First returns the period's first day (UTC midnight).
func (p Period) First() time.Time { return time.Date(p.Year, p.Month, 1, 0, 0, 0, 0, time.UTC) }

// Last returns the period's last day (UTC midnight).
func (p Period) Last() time.Time { return p.First().AddDate(0, 1, -1) }

// Check returns ErrInvalidPeriod unless p is a month of the years 1 to 9999.
func (p Period) Check() error {
	if p.Year < 1 || p.Year > 9999 || p.Month < time.January || p.Month > time.December {
		return fmt.Errorf("%w: year %d, month %d", ErrInvalidPeriod, p.Year, int(p.Month))
	}
	return nil
}

// BookingsFileName is the name of the Buchungsstapel of period p.
func BookingsFileName(p Period) string { return "EXTF_Buchungsstapel_" + p.String() + ".csv" }

// DebtorsFileName is the name of the debtor master data of period p.
func DebtorsFileName(p Period) string { return "EXTF_Debitoren_" + p.String() + ".csv" }

// Batch says what is exported.
type Batch struct {
	// Period is the month exported.
	Period Period
	// Closed marks a closed period. An open period is marked "vorläufig"
	// in the batch's Bezeichnung.
	Closed bool
	// CreatedAt is written as "Erzeugt am". For a closed period it is when
	// the period was closed, so that exporting it twice gives the same
	// bytes; for an open one, the recorded-time cut the entries were read
	// at.
	CreatedAt time.Time
}

// Debtor is a personal account the bookings name, for the master data.
type Debtor struct {
	// Account is the personal account.
	Account string
	// DebtorID is the ledger's debtor id.
	DebtorID string
	// Profile is the debtor's master data the record is written from;
	// nil names the debtor by its id (see Record).
	Profile *Profile
}

// Summary is what WriteBookings wrote.
type Summary struct {
	// Bookings counts the lines written.
	Bookings int
	// Skipped lists, by document number, the entries not exported because
	// they are in another currency than the books'.
	Skipped []string
	// Debtors are the personal accounts the lines name, ordered by account.
	Debtors []Debtor
}

// cut is the window in which DATEV's keys 2 and 3 and its automatic
// accounts meant 5 % and 16 % (the 2020 VAT cut).
var cutFrom, cutTo = time.Date(2020, 7, 1, 0, 0, 0, 0, time.UTC), time.Date(2020, 12, 31, 0, 0, 0, 0, time.UTC)

// RateOf returns the VAT rate in basis points DATEV applies to a line on
// account with BU-Schlüssel key dated d: from the key when there is one
// (2 and 3 are 7 % and 19 %, 4 and 5 are 5 % and 16 %, the other way round
// from 2020-07-01 to 2020-12-31; 8 and 9 are input VAT at 7 % and 19 %,
// likewise), else from the automatic account. ok is false when DATEV
// computes no VAT on the line.
func (c Config) RateOf(account, key string, d time.Time) (rate int32, ok bool) {
	d = civil(d)
	inCut := !d.Before(cutFrom) && !d.After(cutTo)
	swap := func(normal, during int32) (int32, bool) {
		if inCut {
			return during, true
		}
		return normal, true
	}
	switch key {
	case "":
	case "2", "8":
		return swap(700, 500)
	case "3", "9":
		return swap(1900, 1600)
	case "4":
		return swap(500, 700)
	case "5":
		return swap(1600, 1900)
	default:
		return 0, false
	}
	r, ok := c.Automatic[account]
	if !ok {
		return 0, false
	}
	switch r {
	case 1900:
		return swap(1900, 1600)
	case 700:
		return swap(700, 500)
	}
	return r, true
}

// VATOf returns the VAT DATEV computes from a gross amount at rate
// (basis points): gross × rate / (10000 + rate), rounded commercially
// (half away from zero) on each line.
func VATOf(gross int64, rate int32) int64 {
	neg := gross < 0
	if neg {
		gross = -gross
	}
	r := int64(rate)
	v := (2*gross*r + 10000 + r) / (2 * (10000 + r))
	if neg {
		return -v
	}
	return v
}

// part is one leg of an entry on its way to a DATEV line, its VAT folded in.
type part struct {
	pos        int
	account    string
	debtorID   string
	key        string
	minor      int64
	vat        int64
	vatAccount string
	rate       int32
	hasRate    bool
	personal   bool
}

// Convert returns the DATEV lines of entry e, and the personal accounts
// they name. An entry in another currency than the books' gives no lines
// and skipped true.
func (c Config) Convert(e Entry) (lines []extf.Booking, debtors []Debtor, skipped bool, err error) {
	for _, l := range e.Lines {
		if l.Currency != c.Currency {
			return nil, nil, true, nil
		}
	}
	// First the legs that are no VAT, then each VAT leg folded into the
	// part it belongs to, wherever the entry put it.
	parts := make([]part, 0, len(e.Lines))
	for i, l := range e.Lines {
		_, isInput := c.InputVAT[l.Account]
		if c.OutputVAT[l.Account] || isInput {
			continue
		}
		acc := l.Account
		if c.Banks[acc] {
			acc = c.Transit
		}
		p := part{pos: i, account: acc, debtorID: l.DebtorID, key: l.TaxKey, minor: l.Minor,
			personal: l.DebtorID != "" || len(acc) == c.AccountLength+1}
		p.rate, p.hasRate = c.RateOf(acc, l.TaxKey, e.Date)
		parts = append(parts, p)
	}
	for i, l := range e.Lines {
		inputKey, isInput := c.InputVAT[l.Account]
		if !c.OutputVAT[l.Account] && !isInput {
			continue
		}
		j := c.vatTarget(parts, i, l.Minor, isInput)
		if j < 0 {
			// No part to fold into: DATEV books it on the VAT account as it is.
			parts = append(parts, part{pos: i, account: l.Account, minor: l.Minor})
			continue
		}
		p := &parts[j]
		if isInput && p.key == "" {
			p.key = inputKey
			p.rate, p.hasRate = c.RateOf(p.account, p.key, e.Date)
		}
		p.minor += l.Minor
		p.vat += l.Minor
		p.vatAccount = l.Account
	}
	slices.SortStableFunc(parts, func(x, y part) int { return cmp.Compare(x.pos, y.pos) })
	anchor := chooseAnchor(parts, c.Transit)
	if anchor < 0 {
		return nil, nil, false, nil
	}
	a := parts[anchor]
	if a.personal {
		debtors = append(debtors, Debtor{Account: a.account, DebtorID: a.debtorID})
	}

	// One line per counter account, key and VAT account, in order of first
	// appearance.
	type group struct {
		part
		exportKey string
	}
	var groups []group
	for i, p := range parts {
		if i == anchor || p.account == a.account {
			continue
		}
		key := p.key
		if _, auto := c.Automatic[p.account]; auto {
			key = ""
		}
		g := slices.IndexFunc(groups, func(g group) bool {
			return g.account == p.account && g.exportKey == key && g.key == p.key && g.vatAccount == p.vatAccount
		})
		if g < 0 {
			groups = append(groups, group{part: p, exportKey: key})
			continue
		}
		groups[g].minor += p.minor
		groups[g].vat += p.vat
	}

	date := civil(e.Date)
	base := extf.Booking{Account: a.account, DocumentDate: date.Format("0201")}
	if validDocumentField(e.Document) {
		base.DocumentField1 = e.Document
		base.Text = textOf(e.Document)
	} else {
		base.Text = textOf("Beleg " + e.Document)
	}
	add := func(counter string, minor int64, key string) {
		if minor == 0 {
			return
		}
		b := base
		b.ContraAccount, b.TaxKey = counter, key
		b.Amount, b.DebitCredit = minor, "H"
		if minor < 0 {
			b.Amount, b.DebitCredit = -minor, "S"
		}
		lines = append(lines, b)
	}
	for _, g := range groups {
		if g.personal {
			debtors = append(debtors, Debtor{Account: g.account, DebtorID: g.debtorID})
		}
		if !g.hasRate || g.minor == 0 {
			add(g.account, g.minor, g.exportKey)
			continue
		}
		gross, vat := g.minor, g.vat
		if VATOf(gross, g.rate) == vat {
			add(g.account, gross, g.exportKey)
			continue
		}
		// DATEV's per-line rounding differs from the ledger's VAT: book
		// the gross whose DATEV net is the ledger's net, and the rest on
		// the VAT account without a key.
		if g.vatAccount == "" {
			// The ledger booked no VAT on this line: DATEV must compute
			// none either. Key 40 lifts an automatic account's automatic
			// VAT (Aufhebung der Automatik); elsewhere the key is dropped.
			key := ""
			if _, auto := c.Automatic[g.account]; auto {
				key = "40"
			}
			add(g.account, gross, key)
			continue
		}
		adjusted, ok := grossFor(gross-vat, g.rate)
		if !ok {
			return nil, nil, false, fmt.Errorf("%w: document %s, account %s: no gross amount gives the net %s at %s %%",
				ErrNotExportable, e.Document, g.account, money(gross-vat), percent(g.rate))
		}
		add(g.account, adjusted, g.exportKey)
		add(g.vatAccount, gross-adjusted, "")
	}
	return lines, debtors, false, nil
}

// vatTarget returns the part the VAT leg at position pos of amount minor
// folds into, among the parts on the same side, not personal, not transit
// and without VAT folded in yet, that carry a rate (output VAT) or carry
// neither key nor rate (input VAT, whose key the fold gives the part): for
// output VAT the one whose rate gives that VAT from the gross (nearest
// DATEV's computation), then the nearest before the leg, then the nearest
// after it; -1 when there is none.
func (c Config) vatTarget(parts []part, pos int, minor int64, input bool) int {
	best, bestScore, bestDist := -1, int64(0), 0
	for j, p := range parts {
		if p.vatAccount != "" || (p.minor < 0) != (minor < 0) || p.personal || p.account == c.Transit {
			continue
		}
		var score int64
		switch {
		case input && p.key == "" && !p.hasRate:
		case !input && p.hasRate:
			score = abs(VATOf(p.minor+minor, p.rate) - minor)
		default:
			continue
		}
		dist := pos - p.pos
		if dist < 0 {
			dist = 1<<30 - dist // after the leg: only when none is before
		}
		if best < 0 || score < bestScore || score == bestScore && dist < bestDist {
			best, bestScore, bestDist = j, score, dist
		}
	}
	return best
}

// chooseAnchor returns the index of the part every other part is booked
// against: the largest personal-account part, else the largest transit
// part, else the largest part without VAT, else the largest part; ties go
// to the earlier leg. -1 when there are no parts.
func chooseAnchor(parts []part, transit string) int {
	for _, pick := range []func(part) bool{
		func(p part) bool { return p.personal },
		func(p part) bool { return p.account == transit },
		func(p part) bool { return !p.hasRate },
		func(part) bool { return true },
	} {
		best := -1
		for i, p := range parts {
			if pick(p) && (best < 0 || abs(p.minor) > abs(parts[best].minor)) {
				best = i
			}
		}
		if best >= 0 {
			return best
		}
	}
	return -1
}

// grossFor returns the gross amount whose net after DATEV's VAT at rate is
// net (same sign as net). Each cent of gross raises DATEV's net by 0 or 1
// cent, so every net has one.
func grossFor(net int64, rate int32) (int64, bool) {
	sign := int64(1)
	if net < 0 {
		sign, net = -1, -net
	}
	guess := net * (10000 + int64(rate)) / 10000
	for g := guess - 3; g <= guess+3; g++ {
		if g-VATOf(g, rate) == net {
			return sign * g, true
		}
	}
	return 0, false
}

// WriteBookings writes the Buchungsstapel of batch b to w: the lines of
// every entry entries yields, in the order given (effective date, then the
// order the ledger recorded them). It returns what it wrote; a booking that
// breaks a DATEV rule stops the export with ErrNotExportable naming the
// document and field.
func WriteBookings(w io.Writer, c Config, b Batch, entries func(yield func(Entry) error) error) (Summary, error) {
	var sum Summary
	h, err := c.header(b)
	if err != nil {
		return sum, err
	}
	wr, err := extf.NewWriter(w, h)
	if err != nil {
		return sum, fmt.Errorf("%w: header: %w", ErrNotExportable, err)
	}
	seen := map[string]bool{}
	err = entries(func(e Entry) error {
		d := civil(e.Date)
		if d.Before(b.Period.First()) || d.After(b.Period.Last()) {
			return fmt.Errorf("%w: entry %s dated %s lies outside %s", ErrInvalidPeriod, e.ID, d.Format(time.DateOnly), b.Period)
		}
		lines, debtors, skipped, err := c.Convert(e)
		if err != nil {
			return err
		}
		if skipped {
			sum.Skipped = append(sum.Skipped, e.Document)
			return nil
		}
		for _, l := range lines {
			if err := wr.Write(l); err != nil {
				var fe *extf.FieldError
				if errors.As(err, &fe) {
					return fmt.Errorf("%w: document %s: %w", ErrNotExportable, e.Document, err)
				}
				return err
			}
			sum.Bookings++
		}
		for _, d := range debtors {
			if !seen[d.Account] {
				seen[d.Account] = true
				sum.Debtors = append(sum.Debtors, d)
			}
		}
		return nil
	})
	if err != nil {
		return sum, err
	}
	slices.SortFunc(sum.Debtors, func(x, y Debtor) int { return cmp.Compare(x.Account, y.Account) })
	return sum, wr.Flush()
}

// WriteDebtors writes the master data of debtors (Debitoren/Kreditoren) for
// batch b to w, one record per personal account in the order given, each
// from its Profile (Debtor.Record): name, address, e-mail and language
// where ingestion had them, the debtor id alone where the caller has no
// profile, and no personal data for an erased debtor. The same debtors
// with the same profiles give the same bytes; the caller decides which
// profiles a closed period's export shows.
func WriteDebtors(w io.Writer, c Config, b Batch, debtors []Debtor) error {
	h, err := c.header(b)
	if err != nil {
		return err
	}
	h.PeriodFrom, h.PeriodTo, h.BookingType, h.Currency = "", "", 0, ""
	h.Description = "o2c Debitoren " + b.Period.String()
	wr, err := extf.NewDebtorWriter(w, h)
	if err != nil {
		return fmt.Errorf("%w: header: %w", ErrNotExportable, err)
	}
	for _, d := range debtors {
		if err := wr.Write(d.Record()); err != nil {
			return fmt.Errorf("%w: debtor %s: %w", ErrNotExportable, d.DebtorID, err)
		}
	}
	return wr.Flush()
}

// header returns the Buchungsstapel header of batch b.
func (c Config) header(b Batch) (extf.Header, error) {
	if err := b.Period.Check(); err != nil {
		return extf.Header{}, err
	}
	fy := time.Date(b.Period.Year, c.FiscalYearStart.Month, c.FiscalYearStart.Day, 0, 0, 0, 0, time.UTC)
	if fy.After(b.Period.First()) {
		fy = fy.AddDate(-1, 0, 0)
	}
	if !b.Period.Last().Before(fy.AddDate(1, 0, 0)) {
		return extf.Header{}, fmt.Errorf("%w: %s lies in two fiscal years (the fiscal year starts on %02d-%02d)",
			ErrInvalidPeriod, b.Period, int(c.FiscalYearStart.Month), c.FiscalYearStart.Day)
	}
	desc := "o2c " + b.Period.String()
	if !b.Closed {
		desc += " vorläufig"
	}
	t := b.CreatedAt.UTC()
	return extf.Header{
		CreatedAt:       t.Format("20060102150405") + fmt.Sprintf("%03d", t.Nanosecond()/1e6),
		Origin:          "OC",
		ExportedBy:      "o2c",
		Consultant:      c.Consultant,
		Client:          c.Client,
		FiscalYearStart: fy.Format("20060102"),
		AccountLength:   c.AccountLength,
		PeriodFrom:      b.Period.First().Format("20060102"),
		PeriodTo:        b.Period.Last().Format("20060102"),
		Description:     desc,
		BookingType:     1,
		Currency:        c.Currency,
		ChartOfAccounts: c.Chart,
	}, nil
}

// validDocumentField reports whether s can be Belegfeld 1: 1 to 36
// characters from digits, A-Z, a-z and $ & % * + - /.
func validDocumentField(s string) bool {
	if s == "" || len(s) > 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c == '$' || c == '&' || c == '%' || c == '*' || c == '+' || c == '-' || c == '/') {
			return false
		}
	}
	return true
}

// textOf makes s a Buchungstext DATEV takes: printable ASCII and Latin-1
// letters kept, anything else (control characters, characters Windows-1252
// cannot hold) replaced by '_', at most 60 characters.
func textOf(s string) string {
	out := make([]rune, 0, len(s))
	for _, r := range s {
		if len(out) == 60 {
			break
		}
		if r < 0x20 || r == 0x7F || (r >= 0x80 && r < 0xA0) || r > 0xFF {
			r = '_'
		}
		out = append(out, r)
	}
	return string(out)
}

// civil returns d's calendar date at UTC midnight.
func civil(d time.Time) time.Time {
	return time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, time.UTC)
}

func abs(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}

// money formats minor units with two decimals, for messages.
func money(v int64) string {
	s := ""
	if v < 0 {
		s, v = "-", -v
	}
	return s + strconv.FormatInt(v/100, 10) + "." + fmt.Sprintf("%02d", v%100)
}

// percent formats basis points as per cent, for messages.
func percent(bp int32) string {
	return fmt.Sprintf("%d.%02d", bp/100, bp%100)
}
