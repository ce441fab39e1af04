package offline

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The generated shop of TestPayerHabits: a German shop's debtors, open
// items and confirmed history, and payments made with the habits of real
// payers, each with the booking a careful clerk would make. The habits are
// in habits_gen_test.go; this file has the shop they work on.

// habitDebtor is a line of debtors.jsonl plus what the generator knows
// beyond the master data: the person's name parts and the account the
// debtor really pays from (in the master data or not).
type habitDebtor struct {
	ID             string   `json:"debtor"`
	Name           string   `json:"name"`
	IBANs          []string `json:"ibans"`
	MandateIDs     []string `json:"mandate_ids"`
	CustomerNumber string   `json:"customer_number"`

	first, last string
	company     bool
	iban        string
	// customerSerial is the digits of CustomerNumber, drawn from the
	// invoice serials' range so that the two can be confused.
	customerSerial int
}

type habitCashDiscount struct {
	Until     string `json:"until"`
	PercentBP int64  `json:"percent_bp"`
}

// habitItem is a line of items.jsonl; serial is the digits of its
// document number RE-2026-<serial>, which payers quote in many spellings.
type habitItem struct {
	ID               string             `json:"id"`
	Debtor           string             `json:"debtor"`
	Kind             string             `json:"kind"`
	DocumentNumber   string             `json:"document_number"`
	OrderID          string             `json:"order_id,omitempty"`
	PaymentReference string             `json:"payment_reference"`
	AmountMinor      int64              `json:"amount_minor"`
	OpenMinor        int64              `json:"open_minor"`
	Currency         string             `json:"currency"`
	IssueDate        string             `json:"issue_date"`
	DueDate          string             `json:"due_date"`
	CashDiscount     *habitCashDiscount `json:"cash_discount,omitempty"`
	Channel          string             `json:"channel"`

	serial int
}

// digits is the item's serial as a payer types it.
func (it *habitItem) digits() string { return strconv.Itoa(it.serial) }

// habitPayment is a line of payments.jsonl, or of history.jsonl when
// ConfirmedDebtor is set.
type habitPayment struct {
	ID                 string   `json:"id"`
	AmountMinor        int64    `json:"amount_minor"`
	Currency           string   `json:"currency"`
	BookingDate        string   `json:"booking_date"`
	ValueDate          string   `json:"value_date"`
	Remittance         string   `json:"remittance"`
	EndToEndID         string   `json:"end_to_end_id"`
	MandateID          string   `json:"mandate_id"`
	CreditorReferences []string `json:"creditor_references"`
	CounterpartyName   string   `json:"counterparty_name"`
	CounterpartyIBAN   string   `json:"counterparty_iban"`
	ReturnReason       string   `json:"return_reason"`
	BankTxCode         string   `json:"bank_tx_code"`
	ConfirmedDebtor    string   `json:"confirmed_debtor,omitempty"`
}

// habitTruth is what a careful clerk books for a payment: its debtor and
// the acceptable allocations, the most likely first. An empty allocation
// set means no item is paid: the money is the debtor's credit balance (to
// be refunded).
type habitTruth struct {
	payment *habitPayment
	habit   string
	variant string
	debtor  string
	accept  [][]allocLine
}

// habitShop generates the data. All randomness comes from r, so a seed
// gives the same files every time.
type habitShop struct {
	r        *rand.Rand
	debtors  []*habitDebtor
	items    []*habitItem
	payments []*habitPayment
	history  []*habitPayment
	truths   []habitTruth
	// Numbers handed out: invoice serials (also used for post codes and
	// other documents that must collide with nothing else), customer
	// serials and order numbers.
	invoiceSerials, customerSerials, orderNumbers map[int]bool
}

// newHabitShop generates the whole data set of a seed: 150 debtors with
// open items nobody pays in the window, then the payments of the fifteen
// habits, sorted by booking date as a bank statement is.
func newHabitShop(seed uint64) *habitShop {
	s := &habitShop{
		r:              rand.New(rand.NewPCG(seed, 7)),
		invoiceSerials: map[int]bool{}, customerSerials: map[int]bool{}, orderNumbers: map[int]bool{},
	}
	for i := range 150 {
		d := s.newDebtor(i%4 == 0, i%3 != 0)
		s.invoice(d, s.pricePoint(), 30)
	}
	for _, habit := range []func(){
		s.numberSpellings, s.severalInvoices, s.customerNumberOnly, s.someoneElsePays, s.nameOnly,
		s.typoNamesAnotherInvoice, s.roundingAndDiscount, s.bankFormats, s.duplicates, s.paidInvoiceQuoted,
		s.providerAccount, s.otherDocumentNumbers, s.postCodes, s.coupleInOneTransfer, s.creditNoteNetted,
	} {
		habit()
	}
	slices.SortStableFunc(s.payments, func(a, b *habitPayment) int { return strings.Compare(a.BookingDate, b.BookingDate) })
	return s
}

// write writes the four input files of o2c match into dir.
func (s *habitShop) write(dir string) (Options, error) {
	opt := Options{
		Items: filepath.Join(dir, "items.jsonl"), Payments: filepath.Join(dir, "payments.jsonl"),
		Debtors: filepath.Join(dir, "debtors.jsonl"), History: filepath.Join(dir, "history.jsonl"),
	}
	err := errors.Join(writeJSONLines(opt.Items, s.items), writeJSONLines(opt.Payments, s.payments),
		writeJSONLines(opt.Debtors, s.debtors), writeJSONLines(opt.History, s.history))
	return opt, err
}

func writeJSONLines[T any](path string, lines []T) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	for _, l := range lines {
		if err := enc.Encode(l); err != nil {
			f.Close()
			return err
		}
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// Names as a German shop's customers have them: umlauts, ß, hyphenated
// first names, double surnames, titles and a few foreign letters, which
// banks spell in capitals and transliterated.
var (
	habitFemaleFirst = []string{"Anna", "Maria", "Sophie", "Lena", "Julia", "Laura", "Katharina", "Sabine", "Petra", "Ursula",
		"Monika", "Claudia", "Birgit", "Jutta", "Andrea", "Stefanie", "Nicole", "Susanne", "Kerstin", "Gisela", "Hannelore",
		"Jördis", "Sünje", "Chloé", "Renée", "Anne-Marie", "Käthe"}
	habitMaleFirst = []string{"Thomas", "Michael", "Andreas", "Stefan", "Christian", "Markus", "Frank", "Klaus", "Peter", "Wolfgang",
		"Jürgen", "Jörg", "Uwe", "Günter", "Dieter", "Hans-Peter", "Karl-Heinz", "Lukas", "Jonas", "Björn", "Sören", "Rüdiger",
		"Hans-Jürgen", "Franz-Josef", "Malte", "Bernd", "Horst"}
	habitHyphenatedFirst = []string{"Hans-Peter", "Karl-Heinz", "Hans-Jürgen", "Anne-Marie", "Franz-Josef"}
	habitSurnames        = []string{"Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Schulz", "Hoffmann",
		"Schäfer", "Koch", "Bauer", "Richter", "Klein", "Wolf", "Schröder", "Neumann", "Schwarz", "Zimmermann",
		"Braun", "Krüger", "Hofmann", "Hartmann", "Lange", "Schmitt", "Werner", "Schmitz", "Krause", "Meier",
		"Lehmann", "Köhler", "Herrmann", "König", "Walter", "Huber", "Kaiser", "Fuchs", "Peters", "Möller", "Weiß",
		"Jäger", "Groß", "Süß", "Nüßlein", "Gößmann", "Böhm", "Kühn", "Dąbrowski", "Öztürk", "Yılmaz",
		"Meyer-Lüdenscheidt", "Schulze-Delitzsch", "von Bülow", "Dr. Brandt", "Löwenthal", "Brückner", "Grünewald", "Strauß", "Voß"}
	habitTrades     = []string{"Haustechnik", "Elektro", "Bau", "Holzbau", "Metallbau", "Gartenbau", "Sanitär", "Druckerei", "Bäckerei", "Baustoffe"}
	habitLegalForms = []string{"GmbH", "GmbH", "GmbH & Co. KG", "UG (haftungsbeschränkt)", "e.K.", "KG", "OHG", "AG"}
	// habitBankCodes are German bank codes (BLZ) the payers' IBANs use.
	habitBankCodes = []string{"10010010", "12030000", "20050550", "37040044", "50010517", "50070010", "60050101", "70150000", "76050101", "86055592"}
	// habitPricePoints are shop prices many customers pay alike, so that
	// an amount alone names no item.
	habitPricePoints = []int64{1999, 2490, 2999, 3990, 4990, 5990, 7990, 9900, 11900, 14990, 19900, 24900}
)

var habitTranslit = strings.NewReplacer("ä", "ae", "ö", "oe", "ü", "ue", "Ä", "Ae", "Ö", "Oe", "Ü", "Ue", "ß", "ss",
	"é", "e", "ę", "e", "ą", "a", "ı", "i")

// bankSpelling is a name as a bank statement shows it: capitals, no
// umlauts.
func bankSpelling(s string) string { return strings.ToUpper(habitTranslit.Replace(s)) }

func (s *habitShop) pick(from []string) string { return from[s.r.IntN(len(from))] }

func (s *habitShop) pricePoint() int64 { return habitPricePoints[s.r.IntN(len(habitPricePoints))] }

// amount is an invoice amount from 20 to 1,520 EUR.
func (s *habitShop) amount() int64 { return 2000 + s.r.Int64N(150000) }

// freeNumber draws a number in [lo, hi) not yet in used and marks it used.
func (s *habitShop) freeNumber(used map[int]bool, lo, hi int) int {
	for {
		n := lo + s.r.IntN(hi-lo)
		if !used[n] {
			used[n] = true
			return n
		}
	}
}

// ibanFor makes a valid IBAN (ISO 13616 check digits) of a BBAN, so that
// the engine's IBAN checks accept it.
func ibanFor(country, bban string) string {
	rem := 0
	for _, c := range bban + country + "00" {
		if c >= '0' && c <= '9' {
			rem = (rem*10 + int(c-'0')) % 97
		} else {
			rem = (rem*100 + int(c-'A') + 10) % 97
		}
	}
	return fmt.Sprintf("%s%02d%s", country, 98-rem, bban)
}

// newIBAN is a German account nobody has used yet.
func (s *habitShop) newIBAN() string {
	account := make([]byte, 10)
	for i := range account {
		account[i] = byte('0' + s.r.IntN(10))
	}
	return ibanFor("DE", s.pick(habitBankCodes)+string(account))
}

// newDebtor makes a person or a company paying from its own account,
// which is in the master data when ibanKnown; it gets up to two open
// items unrelated to any payment, as real customers have.
func (s *habitShop) newDebtor(company, ibanKnown bool) *habitDebtor {
	d := &habitDebtor{last: s.pick(habitSurnames), company: company, MandateIDs: []string{}, IBANs: []string{}}
	if s.r.IntN(2) == 0 {
		d.first = s.pick(habitFemaleFirst)
	} else {
		d.first = s.pick(habitMaleFirst)
	}
	d.ID = fmt.Sprintf("D%04d", len(s.debtors)+1)
	d.customerSerial = s.freeNumber(s.customerSerials, 10000, 20000)
	d.CustomerNumber = fmt.Sprintf("K-%d", d.customerSerial)
	d.Name = d.first + " " + d.last
	if company {
		d.Name = strings.TrimPrefix(d.last, "Dr. ") + " " + s.pick(habitTrades) + " " + s.pick(habitLegalForms)
	}
	d.iban = s.newIBAN()
	if ibanKnown {
		d.IBANs = []string{d.iban}
	}
	s.debtors = append(s.debtors, d)
	for k := s.r.IntN(3); k > 0; k-- {
		s.invoice(d, 1000+s.r.Int64N(90000), 20+s.r.IntN(40))
	}
	return d
}

// setCustomerSerial gives d the customer number K-<n>; n must be free.
func (s *habitShop) setCustomerSerial(d *habitDebtor, n int) {
	delete(s.customerSerials, d.customerSerial)
	s.customerSerials[n] = true
	d.customerSerial = n
	d.CustomerNumber = fmt.Sprintf("K-%d", n)
}

// habitWindowStart is the first booking day of the payments; every date
// is a day relative to it.
var habitWindowStart = time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)

func windowDay(n int) string { return habitWindowStart.AddDate(0, 0, n).Format(time.DateOnly) }

// invoice makes an invoice of d issued age days before the window starts,
// due 14 days after issue.
func (s *habitShop) invoice(d *habitDebtor, amount int64, age int) *habitItem {
	return s.invoiceNumbered(d, amount, age, s.freeNumber(s.invoiceSerials, 10000, 20000))
}

// invoiceNumbered is invoice with the serial of its number chosen.
func (s *habitShop) invoiceNumbered(d *habitDebtor, amount int64, age int, serial int) *habitItem {
	s.invoiceSerials[serial] = true
	it := &habitItem{
		ID: fmt.Sprintf("I%05d", len(s.items)+1), Debtor: d.ID, Kind: "invoice",
		DocumentNumber: fmt.Sprintf("RE-2026-%d", serial), AmountMinor: amount, OpenMinor: amount, Currency: "EUR",
		IssueDate: windowDay(-age), DueDate: windowDay(-age + 14), Channel: "shop", serial: serial,
	}
	it.OrderID = fmt.Sprintf("AB-%06d", s.freeNumber(s.orderNumbers, 100000, 1000000))
	s.items = append(s.items, it)
	return it
}

// creditNote makes an open credit note of d (a negative item).
func (s *habitShop) creditNote(d *habitDebtor) *habitItem {
	it := &habitItem{
		ID: fmt.Sprintf("I%05d", len(s.items)+1), Debtor: d.ID, Kind: "credit",
		DocumentNumber: fmt.Sprintf("GS-2026-%d", 1000+s.r.IntN(8999)), AmountMinor: -(1000 + s.r.Int64N(9000)),
		Currency: "EUR", IssueDate: windowDay(-10), DueDate: windowDay(-10), Channel: "shop",
	}
	it.OpenMinor = it.AmountMinor
	s.items = append(s.items, it)
	return it
}

// pay adds a credit transfer booked on window day n.
func (s *habitShop) pay(amount int64, n int, remittance, name, iban string) *habitPayment {
	p := &habitPayment{
		ID: fmt.Sprintf("P%04d", len(s.payments)+1), AmountMinor: amount, Currency: "EUR",
		BookingDate: windowDay(n), ValueDate: windowDay(n), Remittance: remittance, EndToEndID: "NOTPROVIDED",
		CreditorReferences: []string{}, CounterpartyName: name, CounterpartyIBAN: iban, BankTxCode: "PMNT-RCDT-ESCT",
	}
	s.payments = append(s.payments, p)
	return p
}

// confirmEarlier adds an earlier payment from iban under name, confirmed
// for d, for the engine to learn the account from.
func (s *habitShop) confirmEarlier(d *habitDebtor, iban, name, remittance string) {
	s.history = append(s.history, &habitPayment{
		ID: fmt.Sprintf("H%04d", len(s.history)+1), AmountMinor: 1000 + s.r.Int64N(50000), Currency: "EUR",
		BookingDate: windowDay(-40 + s.r.IntN(30)), ValueDate: windowDay(-40), Remittance: remittance,
		EndToEndID: "NOTPROVIDED", CreditorReferences: []string{}, CounterpartyName: name, CounterpartyIBAN: iban,
		BankTxCode: "PMNT-RCDT-ESCT", ConfirmedDebtor: d.ID,
	})
}

// truth records the clerk's booking of p: d's debtor and the acceptable
// allocations; none given means p pays no item (a credit balance).
func (s *habitShop) truth(p *habitPayment, habit, variant string, d *habitDebtor, accept ...[]allocLine) {
	if len(accept) == 0 {
		accept = [][]allocLine{{}}
	}
	s.truths = append(s.truths, habitTruth{payment: p, habit: habit, variant: variant, debtor: d.ID, accept: accept})
}

// inFull allocates the open amount of each item.
func inFull(items ...*habitItem) []allocLine {
	var out []allocLine
	for _, it := range items {
		out = append(out, allocLine{OpenItem: it.ID, AmountMinor: it.OpenMinor})
	}
	return out
}

// asPayer is how d appears as the payer of its own transfer: its own
// account, and its master name or, for a person, the bank's
// "SURNAME, FIRST".
func (s *habitShop) asPayer(d *habitDebtor) (name, iban string) {
	name = d.Name
	if !d.company && s.r.IntN(2) == 0 {
		name = bankSpelling(d.last + ", " + d.first)
	}
	return name, d.iban
}
