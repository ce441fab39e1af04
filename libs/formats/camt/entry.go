package camt

import (
	"fmt"
	"strings"
)

// entryFrom converts the Ntry subtree in r.tree into an Entry.
func (r *Reader) entryFrom(prefix string) (*Entry, error) {
	t := &r.tree
	s := r.stmt
	const root = int32(0)
	e := &Entry{}
	amt, err := r.amount(prefix, t.child(root, "Amt"), "")
	if err != nil {
		return nil, err
	}
	e.CreditDebit = t.str(t.child(root, "CdtDbtInd"))
	switch e.CreditDebit {
	case "CRDT":
	case "DBIT":
		amt.Minor = -amt.Minor
	case "":
		e.CreditDebit = "CRDT"
		r.warn("%s: entry has no CdtDbtInd; read as a credit", prefix)
	default:
		return nil, &Error{Path: prefix + "/CdtDbtInd", Err: fmt.Errorf("%q is neither CRDT nor DBIT", e.CreditDebit)}
	}
	e.Amount = amt
	if rv := t.str(t.child(root, "RvslInd")); rv != "" {
		switch rv {
		case "true", "1":
			e.Reversal = true
		case "false", "0":
		default:
			return nil, &Error{Path: prefix + "/RvslInd", Err: fmt.Errorf("%q is not a boolean", rv)}
		}
	}
	if sts := t.child(root, "Sts"); sts != none {
		e.Status = t.str(t.child(sts, "Cd"))
		if e.Status == "" {
			e.Status = t.str(t.child(sts, "Prtry"))
		}
		if e.Status == "" {
			e.Status = t.str(sts)
		}
	}
	if e.BookingDate, err = r.date(prefix, t.child(root, "BookgDt")); err != nil {
		return nil, err
	}
	if e.ValueDate, err = r.date(prefix, t.child(root, "ValDt")); err != nil {
		return nil, err
	}
	e.EntryRef = t.str(t.child(root, "NtryRef"))
	e.AcctSvcrRef = t.str(t.child(root, "AcctSvcrRef"))
	e.BankTxCode = r.bankTxCode(t.child(root, "BkTxCd"))
	e.BookingText = t.str(t.child(root, "AddtlNtryInf"))
	if e.Charges, err = r.allCharges(prefix, root, amt.Currency); err != nil {
		return nil, err
	}

	var txsBuf [8]int32
	txs := txsBuf[:0]
	for d := t.nodes[root].first; d != none; d = t.nodes[d].next {
		if t.nodes[d].name != "NtryDtls" {
			continue
		}
		for c := t.nodes[d].first; c != none; c = t.nodes[c].next {
			if t.nodes[c].name == "TxDtls" {
				txs = append(txs, c)
			}
		}
	}
	if len(txs) == 0 {
		e.Transactions = []Transaction{{
			Amount:      e.Amount,
			CreditDebit: e.CreditDebit,
			Charges:     e.Charges,
		}}
		e.Transactions[0].fp.amount = e.Amount.Minor
	} else {
		e.Transactions = make([]Transaction, 0, len(txs))
		missing := 0
		var sum int64
		overflow := false
		for _, c := range txs {
			tx, given, err := r.transaction(prefix, c, e, len(txs) > 1)
			if err != nil {
				return nil, err
			}
			if !given {
				missing++
			}
			next := sum + tx.Amount.Minor
			overflow = overflow || (tx.Amount.Minor > 0 && next < sum) || (tx.Amount.Minor < 0 && next > sum)
			sum = next
			e.Transactions = append(e.Transactions, tx)
		}
		switch {
		case missing > 0 && len(txs) > 1:
			r.warn("%s: %d of %d transactions give no amount in %s; each was given the entry amount", prefix, missing, len(txs), e.Amount.Currency)
		case len(txs) > 1 && (overflow || sum != e.Amount.Minor):
			r.warn("%s: the %d transactions sum to %s %s, the entry is %s", prefix, len(txs),
				formatMinor(sum, exponent(e.Amount.Currency)), e.Amount.Currency, formatMinor(e.Amount.Minor, exponent(e.Amount.Currency)))
		}
		if len(txs) == 1 && e.Transactions[0].Charges == 0 {
			e.Transactions[0].Charges = e.Charges
		}
	}
	if e.BankTxCode == "" {
		e.BankTxCode = e.Transactions[0].BankTxCode
	}

	// Statement bookkeeping.
	s.Entries++
	if s.Currency == "" {
		s.Currency = amt.Currency
	}
	if e.Status == "" || e.Status == "BOOK" {
		if amt.Currency != s.Currency || (s.OpeningBooked != nil && amt.Currency != s.OpeningBooked.Currency) {
			s.mixedCcy = true
		}
		sum := s.BookedSum + amt.Minor
		if (amt.Minor > 0 && sum < s.BookedSum) || (amt.Minor < 0 && sum > s.BookedSum) {
			s.sumOverflow = true
		}
		s.BookedSum = sum
	}
	r.fingerprint(e)
	return e, nil
}

// transaction reads one TxDtls of entry e, one of several when batch.
// given reports whether it had an amount of its own.
//
// The amount is the first of Amt, AmtDtls/TxAmt and AmtDtls/CntrValAmt
// (and in a batch AmtDtls/InstdAmt) that is in the entry's currency, the
// account's: an amount in another currency (the instructed USD of a EUR
// booking) is not what the account moved. Without one, a lone transaction
// is the entry's amount (InstdAmt is not: it leaves out the charges the
// bank netted), and a batch's transaction gets the entry amount with a
// warning.
func (r *Reader) transaction(entryPrefix string, n int32, e *Entry, batch bool) (Transaction, bool, error) {
	t := &r.tree
	var tx Transaction
	given := false
	sources := [...]int32{
		t.child(n, "Amt"), t.at(n, "AmtDtls", "TxAmt", "Amt"), t.at(n, "AmtDtls", "CntrValAmt", "Amt"), none,
	}
	if batch {
		sources[3] = t.at(n, "AmtDtls", "InstdAmt", "Amt")
	}
	foreign := none
	// firstRead: the first reading's amount (Amt, else TxAmt, in any
	// currency, else the entry's) is in tx.fp.amount.
	firstRead := false
	for i, src := range sources {
		if src == none {
			continue
		}
		a, err := r.amount(entryPrefix, src, e.Amount.Currency)
		if err != nil {
			return tx, false, err
		}
		if i < 2 && !firstRead {
			tx.fp.amount, firstRead = a.Minor, true
		}
		if a.Currency != e.Amount.Currency {
			foreign = src
			continue
		}
		tx.Amount, given = a, true
		break
	}
	if !given && foreign != none {
		r.warn("%s: amount in %s, not the account's %s, and none in %s beside it; the entry amount is taken", t.path(entryPrefix, foreign),
			t.ccy(foreign), e.Amount.Currency, e.Amount.Currency)
	}
	if !given {
		tx.Amount = e.Amount
		if tx.Amount.Minor < 0 {
			tx.Amount.Minor = -tx.Amount.Minor
		}
	}
	if !firstRead {
		tx.fp.amount = abs64(e.Amount.Minor)
	}
	tx.CreditDebit = t.str(t.child(n, "CdtDbtInd"))
	switch tx.CreditDebit {
	case "":
		tx.CreditDebit = e.CreditDebit
	case "CRDT", "DBIT":
	default:
		return tx, false, &Error{Path: t.path(entryPrefix, t.child(n, "CdtDbtInd")), Err: fmt.Errorf("%q is neither CRDT nor DBIT", tx.CreditDebit)}
	}
	if tx.CreditDebit == "DBIT" {
		tx.Amount.Minor = -tx.Amount.Minor
		tx.fp.amount = -tx.fp.amount
	}

	refs := t.child(n, "Refs")
	tx.EndToEndID = t.str(t.child(refs, "EndToEndId"))
	tx.MandateID = t.str(t.child(refs, "MndtId"))
	tx.AcctSvcrRef = t.str(t.child(refs, "AcctSvcrRef"))
	tx.TxID = t.str(t.child(refs, "TxId"))
	tx.InstrID = t.str(t.child(refs, "InstrId"))
	t.each(refs, "Prtry", func(p int32) {
		tx.ProprietaryRefs = append(tx.ProprietaryRefs, ProprietaryRef{Type: t.str(t.child(p, "Tp")), Ref: t.str(t.child(p, "Ref"))})
	})
	tx.BankTxCode = r.bankTxCode(t.child(n, "BkTxCd"))

	rmt := t.child(n, "RmtInf")
	tx.Remittance = strings.TrimSpace(r.ustrd(rmt))
	if rmt != none {
		for s := t.nodes[rmt].first; s != none; s = t.nodes[s].next {
			if t.nodes[s].name != "Strd" {
				continue
			}
			for c := t.nodes[s].first; c != none; c = t.nodes[c].next {
				if t.nodes[c].name != "CdtrRefInf" {
					continue
				}
				if ref := t.str(t.child(c, "Ref")); ref != "" {
					tx.CreditorReferences = append(tx.CreditorReferences, ref)
				}
			}
		}
	}

	r.counterparty(&tx, n)
	tx.CreditorID = creditorSchemeID(t, t.child(n, "RltdPties"))

	rsn := t.at(n, "RtrInf", "Rsn")
	tx.ReturnReason = t.str(t.child(rsn, "Cd"))
	if tx.ReturnReason == "" {
		tx.ReturnReason = t.str(t.child(rsn, "Prtry"))
	}
	var err error
	if tx.Charges, err = r.allCharges(entryPrefix, n, tx.Amount.Currency); err != nil {
		return tx, false, err
	}
	raw := tx.EndToEndID
	applyKeywords(&tx)
	tx.fp.endToEndID = raw
	if raw == "" {
		tx.fp.endToEndID = tx.EndToEndID // the first reading filled only an empty one
	}
	if tx.fp.iban == "" && strings.ContainsAny(tx.Remittance, ":+") {
		kv, _ := keywordValues(tx.Remittance)
		tx.fp.iban = kv[kwIBAN]
	}
	return tx, given, nil
}

// counterparty sets tx's counterparty from the TxDtls node n: the debtor
// of money received, the creditor of money paid. When that role is empty
// or names the statement's own account, the other role is taken if it has
// an account other than the statement's: banks fill the roles of a
// reversal either way (a returned direct debit booked as a debit names the
// debtor who did not pay as Dbtr, beside us as Cdtr or nobody), and a name
// without an account in the other role is as likely the account holder's
// own, which matching would otherwise learn as a payer's.
func (r *Reader) counterparty(tx *Transaction, n int32) {
	t := &r.tree
	pties := t.child(n, "RltdPties")
	agts := t.child(n, "RltdAgts")
	type role struct{ party, acct, agt string }
	debtor, creditor := role{"Dbtr", "DbtrAcct", "DbtrAgt"}, role{"Cdtr", "CdtrAcct", "CdtrAgt"}
	first, second := debtor, creditor
	if tx.CreditDebit == "DBIT" {
		first, second = creditor, debtor
	}
	read := func(ro role) (name, iban, bic string) {
		p := t.child(pties, ro.party)
		if pty := t.child(p, "Pty"); pty != none {
			p = pty
		}
		fin := t.at(agts, ro.agt, "FinInstnId")
		bic = t.str(t.child(fin, "BICFI"))
		if bic == "" {
			bic = t.str(t.child(fin, "BIC"))
		}
		return t.str(t.child(p, "Nm")), t.str(t.at(pties, ro.acct, "Id", "IBAN")), bic
	}
	own := func(iban string) bool { return iban != "" && strings.EqualFold(iban, r.stmt.Account) }
	name, iban, bic := read(first)
	tx.fp.iban = iban // the first reading's, for the fingerprint
	if name == "" && iban == "" || own(iban) {
		if n2, i2, b2 := read(second); i2 != "" && !own(i2) {
			name, iban, bic = n2, i2, b2
		} else if own(iban) {
			name, iban, bic = "", "", ""
		}
	}
	tx.CounterpartyName, tx.CounterpartyIBAN, tx.CounterpartyBIC = name, iban, bic
}

// ustrd returns the Ustrd texts of the RmtInf node n joined without
// separator: the text itself when there is one, as there usually is.
func (r *Reader) ustrd(n int32) string {
	if n == none {
		return ""
	}
	t := &r.tree
	var (
		one   string
		count int
		b     strings.Builder
	)
	for u := t.nodes[n].first; u != none; u = t.nodes[u].next {
		if t.nodes[u].name != "Ustrd" {
			continue
		}
		switch count++; count {
		case 1:
			one = t.raw(u)
			continue
		case 2:
			b.WriteString(one)
		}
		b.WriteString(t.raw(u))
	}
	if count <= 1 {
		return one
	}
	return b.String()
}

// allCharges sums every Chrgs child of n.
func (r *Reader) allCharges(prefix string, n int32, ccy string) (int64, error) {
	var (
		sum int64
		err error
	)
	r.tree.each(n, "Chrgs", func(c int32) {
		if err != nil {
			return
		}
		var v int64
		v, err = r.charges(prefix, c, ccy)
		sum += v
	})
	return sum, err
}

// charges sums a Chrgs element: its Rcrd/Amt records (001.03 and later),
// else its own Amt (001.02), else TtlChrgsAndTaxAmt. In 001.02 Chrgs may
// repeat; the caller handles the siblings.
func (r *Reader) charges(prefix string, n int32, ccy string) (int64, error) {
	if n == none {
		return 0, nil
	}
	t := &r.tree
	var (
		sum   int64
		err   error
		found bool
	)
	t.each(n, "Rcrd", func(c int32) {
		if err != nil {
			return
		}
		a := t.child(c, "Amt")
		if a == none {
			return
		}
		found = true
		var amt Amount
		amt, err = r.amount(prefix, a, ccy)
		sum += amt.Minor
	})
	if err != nil {
		return 0, err
	}
	if found {
		return sum, nil
	}
	a := t.child(n, "Amt")
	if a == none {
		a = t.child(n, "TtlChrgsAndTaxAmt")
	}
	if a == none {
		return 0, nil
	}
	amt, err := r.amount(prefix, a, ccy)
	if err != nil {
		return 0, err
	}
	return amt.Minor, nil
}

func (r *Reader) bankTxCode(n int32) string {
	t := &r.tree
	if n == none {
		return ""
	}
	if d := t.child(n, "Domn"); d != none {
		dc := t.str(t.child(d, "Cd"))
		f := t.child(d, "Fmly")
		fc, sc := t.str(t.child(f, "Cd")), t.str(t.child(f, "SubFmlyCd"))
		if dc != "" {
			return r.codes.join(dc, fc, sc)
		}
	}
	return t.str(t.at(n, "Prtry", "Cd"))
}

// codeCache holds the bank transaction codes seen so far: a file uses a
// handful, so each is built once instead of once per entry.
type codeCache struct {
	m   map[string]string
	buf []byte
}

// maxCodes bounds the cache so hostile input cannot grow it.
const maxCodes = 256

// join returns dc + "/" + fc + "/" + sc.
func (c *codeCache) join(dc, fc, sc string) string {
	c.buf = append(append(append(append(append(c.buf[:0], dc...), '/'), fc...), '/'), sc...)
	if s, ok := c.m[string(c.buf)]; ok {
		return s
	}
	s := string(c.buf)
	if c.m == nil {
		c.m = make(map[string]string)
	}
	if len(c.m) < maxCodes {
		c.m[s] = s
	}
	return s
}

// creditorSchemeID finds the SEPA creditor identifier among the creditor's
// identifications.
func creditorSchemeID(t *tree, pties int32) string {
	c := t.child(pties, "Cdtr")
	if pty := t.child(c, "Pty"); pty != none {
		c = pty
	}
	var id string
	for _, kind := range []string{"PrvtId", "OrgId"} {
		t.each(t.at(c, "Id", kind), "Othr", func(o int32) {
			if id == "" && strings.EqualFold(t.str(t.at(o, "SchmeNm", "Prtry")), "SEPA") {
				id = t.str(t.child(o, "Id"))
			}
		})
	}
	return id
}

// sepaKeywords are the DK keywords that may carry structured values inside
// the unstructured remittance text.
var sepaKeywords = [...]string{"EREF", "KREF", "MREF", "CRED", "DEBT", "IBAN", "BIC", "ABWA", "ABWE", "SVWZ", "COAM", "OAMT"}

// Indexes into sepaKeywords of the keywords applyKeywords uses.
const (
	kwEREF = 0
	kwMREF = 2
	kwCRED = 3
	kwIBAN = 5
	kwBIC  = 6
)

// keywordValues splits DK-style text such as "EREF: X MREF: Y" into keyword
// values, indexed like sepaKeywords (the first occurrence wins). A keyword
// counts when it starts the text or follows a space and is followed by ':'
// or '+'; its value runs to the next keyword.
func keywordValues(s string) (vals [len(sepaKeywords)]string, found bool) {
	cur, valStart := -1, 0
	set := func(end int) {
		if cur >= 0 && vals[cur] == "" {
			vals[cur] = strings.TrimSpace(s[valStart:end])
		}
	}
	for i := 0; i < len(s); i++ {
		if i > 0 && s[i-1] != ' ' {
			continue
		}
		c := s[i]
		if c < 'A' || c > 'S' {
			continue
		}
		for k, kw := range sepaKeywords {
			if strings.HasPrefix(s[i:], kw) && i+len(kw) < len(s) && (s[i+len(kw)] == ':' || s[i+len(kw)] == '+') {
				set(i)
				cur, valStart, found = k, i+len(kw)+1, true
				i += len(kw)
				break
			}
		}
	}
	set(len(s))
	return vals, found
}

// applyKeywords fills references missing from the structured elements
// from the DK keywords in the joined remittance text. ABWA (the deviating
// ultimate party) and the other keywords only end the value before them;
// they are not the counterparty.
func applyKeywords(tx *Transaction) {
	if !strings.ContainsAny(tx.Remittance, ":+") {
		return
	}
	kv, found := keywordValues(tx.Remittance)
	if !found {
		return
	}
	fill := func(dst *string, k int) {
		if placeholder(*dst) && kv[k] != "" {
			*dst = kv[k]
		}
	}
	fill(&tx.EndToEndID, kwEREF)
	fill(&tx.MandateID, kwMREF)
	fill(&tx.CreditorID, kwCRED)
	fill(&tx.CounterpartyIBAN, kwIBAN)
	fill(&tx.CounterpartyBIC, kwBIC)
}

// fingerprint sets the identity of e and its transactions; see
// Entry.Fingerprint.
func (r *Reader) fingerprint(e *Entry) {
	s := r.stmt
	h := &r.h
	h.buf = h.buf[:0]
	h.add(s.Account)
	h.add(e.Amount.Currency)
	h.addInt(e.Amount.Minor)
	date := e.ValueDate
	if date == "" {
		date = e.BookingDate
	}
	h.add(date)
	ref := e.AcctSvcrRef
	if placeholder(ref) {
		ref = ""
	}
	h.add(ref)
	for i := range e.Transactions {
		tx := &e.Transactions[i]
		h.add(refOrEmpty(tx.fp.endToEndID))
		h.add(tx.Remittance)
		h.add(tx.fp.iban)
	}
	sum := h.sum()
	if ref == "" {
		// No bank reference: number otherwise identical bookings.
		if s.weak == nil {
			s.weak = make(map[[32]byte]int)
		}
		s.weak[sum]++
		h.addInt(int64(s.weak[sum]))
		sum = h.sum()
	}
	e.fingerprint = fingerprintHex(sum)

	var seen map[[32]byte]int
	for i := range e.Transactions {
		tx := &e.Transactions[i]
		h.buf = h.buf[:0]
		h.add(e.fingerprint)
		h.addInt(tx.fp.amount)
		h.add(refOrEmpty(tx.AcctSvcrRef))
		h.add(refOrEmpty(tx.fp.endToEndID))
		h.add(tx.Remittance)
		h.add(tx.fp.iban)
		if len(e.Transactions) > 1 {
			base := h.sum()
			if seen == nil {
				seen = make(map[[32]byte]int, len(e.Transactions))
			}
			seen[base]++
			h.addInt(int64(seen[base]))
		}
		tx.fingerprint = fingerprintHex(h.sum())
	}
}

func refOrEmpty(s string) string {
	if placeholder(s) {
		return ""
	}
	return s
}

func abs64(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}
