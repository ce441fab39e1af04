package offline

import (
	"fmt"
	"strconv"
	"strings"
)

// The fifteen payer habits of TestPayerHabits. Each adds debtors, items
// and payments to the shop, and for each payment the clerk's booking. The
// habits are ones the benchmark's generator does not make, and many come
// with a trap: another debtor whose invoice, customer number or name the
// payment seems to name, often with an item of the same amount, so that a
// careless engine books the money to the wrong debtor.
const (
	habitNumberSpelling   = "H1_number_spelling"
	habitSeveralInvoices  = "H2_multi_invoice"
	habitCustomerNumber   = "H3_customer_number"
	habitOtherPayer       = "H4_other_payer"
	habitNameOnly         = "H5_name_only"
	habitTypo             = "H6_typo_trap"
	habitRoundingDiscount = "H7_rounding_discount"
	habitBankFormat       = "H8_bank_format"
	habitDuplicate        = "H9_duplicate"
	habitPaidInvoice      = "H10_paid_invoice"
	habitProviderAccount  = "H11_provider_iban"
	habitOtherDocument    = "H12_other_doc_number"
	habitPostCode         = "H13_postcode"
	habitCouple           = "H14_two_debtors_one_transfer"
	habitCreditNote       = "H15_credit_note_netted"
)

// numberSpellings: the invoice number as payers type it. Half pay from
// their known account, half from a new one with the master name only; when
// only the digits are typed, another customer's number has the same
// digits.
func (s *habitShop) numberSpellings() {
	for i, v := range []struct {
		name string
		// digitsOnly: the text has the serial without RE-2026, as a
		// customer number could be written.
		digitsOnly bool
		spell      func(it *habitItem) string
	}{
		{"spaces", false, func(it *habitItem) string { return "RE 2026 " + it.digits() }},
		{"slash_glued", false, func(it *habitItem) string { return "RE2026/" + it.digits() }},
		{"bare_serial", true, func(it *habitItem) string { return it.digits() }},
		{"rechnung_serial", true, func(it *habitItem) string { return "Rechnung " + it.digits() }},
		{"rgnr_year", false, func(it *habitItem) string { return "Rg.Nr. 2026-" + it.digits() }},
		{"renr_colon", false, func(it *habitItem) string { return "Re-Nr.: " + it.DocumentNumber }},
		{"two_digit_year", false, func(it *habitItem) string { return "RE-26-" + it.digits() }},
		{"all_glued", false, func(it *habitItem) string { return "RE2026" + it.digits() }},
		{"year_slash", false, func(it *habitItem) string { return "Rechnung 2026/" + it.digits() }},
		{"nr_glued_date", false, func(it *habitItem) string { return "Rechnung Nr." + it.digits() + " vom 12.02.2026" }},
		{"spaced_dashes", false, func(it *habitItem) string { return "Rechnungsnummer: RE - 2026 - " + it.digits() }},
		{"R_prefix", false, func(it *habitItem) string { return "R-2026-" + it.digits() }},
		{"zero_padded", false, func(it *habitItem) string { return "RE-2026-0" + it.digits() }},
		{"suffix_dash1", false, func(it *habitItem) string { return it.DocumentNumber + "-1" }},
		{"serial_then_name", true, func(it *habitItem) string { return it.digits() + " Danke" }},
		{"hash_serial", true, func(it *habitItem) string { return "Rechnung #" + it.digits() }},
		{"lowercase_nospace", false, func(it *habitItem) string { return "re-nr.re2026-" + it.digits() }},
		{"year_reversed", false, func(it *habitItem) string { return "RE-" + it.digits() + "-2026" }},
		{"serial_year_slash", false, func(it *habitItem) string { return "Rechnung " + it.digits() + "/2026" }},
		{"invoice_en", false, func(it *habitItem) string { return "Invoice no. " + it.digits() }},
	} {
		for k := range 2 {
			d := s.newDebtor(s.r.IntN(4) == 0, k == 0)
			it := s.invoice(d, s.amount(), 25+s.r.IntN(20))
			s.invoice(d, s.amount(), 25+s.r.IntN(20))
			name, iban := s.asPayer(d)
			variant := v.name
			if k == 1 {
				iban = s.newIBAN()
				variant += "/new_iban"
			}
			if v.digitsOnly && !s.customerSerials[it.serial] {
				other := s.newDebtor(false, true)
				s.setCustomerSerial(other, it.serial)
				variant += "/cust_collision"
			}
			p := s.pay(it.OpenMinor, 2+i%20, v.spell(it), name, iban)
			s.truth(p, habitNumberSpelling, variant, d, inFull(it))
		}
	}
}

// severalInvoices: one transfer for two or three invoices of the debtor,
// numbers listed in shorthand. One of them may be paid in part already:
// the payer pays what is open, or the full amounts again (the surplus is a
// credit balance).
func (s *habitShop) severalInvoices() {
	for i, v := range []struct {
		name string
		n    int
		// abbreviated: the second number is written as its last two
		// digits, so it is drawn close to the first.
		abbreviated bool
		spell       func(its []*habitItem) string
	}{
		{"two_full", 2, false, func(its []*habitItem) string { return its[0].DocumentNumber + " " + its[1].DocumentNumber }},
		{"slash_serial", 2, false, func(its []*habitItem) string { return its[0].DocumentNumber + "/" + its[1].digits() }},
		{"u_serial", 2, false, func(its []*habitItem) string { return its[0].DocumentNumber + " u. " + its[1].digits() }},
		{"three_comma_und", 3, false, func(its []*habitItem) string {
			return its[0].DocumentNumber + ", " + its[1].digits() + " und " + its[2].digits()
		}},
		{"plus_serials", 2, false, func(its []*habitItem) string { return "Rechnungen " + its[0].digits() + " + " + its[1].digits() }},
		{"abbrev_suffix", 2, true, func(its []*habitItem) string { return its[0].DocumentNumber + "/" + its[1].digits()[3:] }},
		{"dash_joined", 2, false, func(its []*habitItem) string { return "RE " + its[0].digits() + "-" + its[1].digits() }},
		{"semicolon_full", 3, false, func(its []*habitItem) string {
			return "RG " + its[0].DocumentNumber + ";" + its[1].DocumentNumber + ";" + its[2].DocumentNumber
		}},
	} {
		for k := range 4 {
			d := s.newDebtor(s.r.IntN(3) == 0, true)
			first := s.freeNumber(s.invoiceSerials, 10000, 19900)
			var its []*habitItem
			for j := range v.n {
				serial := first + j*(1+s.r.IntN(3))
				if j > 0 && v.abbreviated {
					serial = first + 1 + s.r.IntN(5)
				}
				for j > 0 && s.invoiceSerials[serial] {
					serial++
				}
				its = append(its, s.invoiceNumbered(d, s.amount(), 20+s.r.IntN(20), serial))
			}
			s.invoice(d, s.amount(), 30)
			variant := v.name
			switch k {
			case 1:
				its[1].OpenMinor = its[1].AmountMinor / 2
				variant += "/one_partly_paid"
			case 2:
				its[1].OpenMinor = its[1].AmountMinor / 2
				variant += "/partly_paid_full_amounts"
			case 3:
				variant += "/new_iban"
			}
			var paid int64
			for _, it := range its {
				paid += it.OpenMinor
			}
			if k == 2 {
				paid += its[1].AmountMinor - its[1].OpenMinor
			}
			name, iban := s.asPayer(d)
			if k == 3 {
				iban = s.newIBAN()
			}
			p := s.pay(paid, 3+i, v.spell(its), name, iban)
			s.truth(p, habitSeveralInvoices, variant, d, inFull(its...))
		}
	}
}

// customerNumberOnly: the text has the customer number in some spelling
// and no invoice; the payer uses a new account, half of them under
// another name (a relative, the owner's company). In the last two of each
// six, another debtor's invoice has the customer number's digits, once
// with the same amount.
func (s *habitShop) customerNumberOnly() {
	for i, v := range []struct {
		name  string
		spell func(d *habitDebtor) string
	}{
		{"kdnr_digits", func(d *habitDebtor) string { return fmt.Sprintf("Kd-Nr %d", d.customerSerial) }},
		{"kundennummer_glued", func(d *habitDebtor) string { return fmt.Sprintf("Kundennummer K%d", d.customerSerial) }},
		{"kdnr_full", func(d *habitDebtor) string { return "Kd.-Nr.: " + d.CustomerNumber }},
		{"kunde_digits_danke", func(d *habitDebtor) string { return fmt.Sprintf("Kunde %d Danke", d.customerSerial) }},
		{"knr_digits", func(d *habitDebtor) string { return fmt.Sprintf("KNR %d", d.customerSerial) }},
		{"bare_digits", func(d *habitDebtor) string { return strconv.Itoa(d.customerSerial) }},
	} {
		for k := range 6 {
			d := s.newDebtor(s.r.IntN(3) == 0, true)
			it := s.invoice(d, s.amount(), 30)
			s.invoice(d, s.amount(), 25)
			variant := v.name
			name, iban := d.Name, s.newIBAN()
			if k%2 == 1 {
				name = s.pick(habitFemaleFirst) + " " + s.pick(habitSurnames)
				variant += "/other_name"
			}
			if k >= 4 && !s.invoiceSerials[d.customerSerial] {
				other := s.newDebtor(false, true)
				amount := s.amount()
				if k == 5 {
					amount = it.OpenMinor
					variant += "/inv_collision_same_amount"
				} else {
					variant += "/inv_collision"
				}
				s.invoiceNumbered(other, amount, 30, d.customerSerial)
			}
			p := s.pay(it.OpenMinor, 4+i, v.spell(d), name, iban)
			s.truth(p, habitCustomerNumber, variant, d, inFull(it))
		}
	}
}

// someoneElsePays: the invoice is quoted correctly but someone else pays
// it: a stranger, the owner's company, or another customer of the shop
// paying from the account the engine knows for them (from master data or
// from history), sometimes owing exactly the amount themselves.
func (s *habitShop) someoneElsePays() {
	for k := range 40 {
		d := s.newDebtor(false, true)
		var it *habitItem
		var variant, name, iban string
		switch k % 5 {
		case 0:
			it = s.invoice(d, s.amount(), 30)
			name, iban = s.pick(habitFemaleFirst)+" "+s.pick(habitSurnames), s.newIBAN()
			variant = "stranger_new_iban"
		case 1:
			it = s.invoice(d, s.amount(), 30)
			name, iban = bankSpelling(d.last)+" "+s.pick(habitTrades)+" GMBH", s.newIBAN()
			variant = "company_pays_private"
		case 2:
			it = s.invoice(d, s.pricePoint(), 30)
			payer := s.newDebtor(false, true)
			s.invoice(payer, s.amount(), 30)
			name, iban = payer.Name, payer.iban
			variant = "payer_is_other_debtor"
		case 3:
			amount := s.pricePoint()
			it = s.invoice(d, amount, 30)
			payer := s.newDebtor(false, true)
			s.invoice(payer, amount, 20)
			name, iban = payer.Name, payer.iban
			variant = "payer_is_other_debtor_same_amount"
		case 4:
			amount := s.pricePoint()
			it = s.invoice(d, amount, 30)
			payer := s.newDebtor(false, false)
			s.confirmEarlier(payer, payer.iban, payer.Name, "Rechnung RE-2025-"+strconv.Itoa(s.freeNumber(s.invoiceSerials, 10000, 20000)))
			s.invoice(payer, amount, 20)
			name, iban = bankSpelling(payer.last+", "+payer.first), payer.iban
			variant = "payer_is_other_debtor_same_amount_hist"
		}
		number := it.DocumentNumber
		text := s.pick([]string{"Rechnung " + number, number, "RE-NR " + number, "Rechnung " + number + " " + d.first + " " + d.last})
		p := s.pay(it.OpenMinor, 5+k%20, text, name, iban)
		s.truth(p, habitOtherPayer, variant, d, inFull(it))
	}
}

// nameOnly: no reference, a new account, and the payer's name as banks
// and people write it (transliterated, reordered, initials, cut at 27
// characters, "Familie ..."). In half of them a namesake (same surname,
// another first name) owes the same amount.
func (s *habitShop) nameOnly() {
	for i, v := range []struct {
		name string
		// master: how the master data names the debtor: "" for "First
		// Last" or "Last, First", "hyphen" for a hyphenated first name,
		// "dr_hyphen" for that with a title.
		master string
		payer  func(first, last string) string
	}{
		{"upper_translit", "", func(first, last string) string { return bankSpelling(first + " " + last) }},
		{"last_first_translit", "", func(first, last string) string { return bankSpelling(last + " " + first) }},
		{"title_hyphen_reordered", "dr_hyphen", func(first, last string) string {
			return habitTranslit.Replace(last) + " " + strings.ReplaceAll(habitTranslit.Replace(first), "-", " ")
		}},
		{"hyphen_initials", "hyphen", func(first, last string) string {
			parts := strings.Split(first, "-")
			return bankSpelling(parts[0][:1] + ".-" + parts[1][:1] + ". " + last)
		}},
		{"bank_cut_27", "", func(first, last string) string {
			name := bankSpelling(last + ", " + first + " und " + s.pick(habitFemaleFirst))
			return name[:min(len(name), 27)]
		}},
		{"familie", "", func(first, last string) string { return "Familie " + habitTranslit.Replace(last) }},
		{"double_surname_payer", "", func(first, last string) string { return first + " " + last + "-" + s.pick(habitSurnames) }},
		{"first_initial_last_comma", "", func(first, last string) string {
			return bankSpelling(last) + " " + string([]rune(first)[0]) + "."
		}},
	} {
		for k := range 4 {
			d := s.newDebtor(false, false)
			switch v.master {
			case "dr_hyphen":
				d.first = s.pick(habitHyphenatedFirst)
				d.Name = "Dr. " + d.first + " " + d.last
			case "hyphen":
				d.first = s.pick(habitHyphenatedFirst)
				d.Name = d.first + " " + d.last
			default:
				if k%2 == 0 {
					d.Name = d.last + ", " + d.first
				}
			}
			amount := s.amount()
			variant := v.name
			if k >= 2 {
				amount = s.pricePoint()
				namesake := s.newDebtor(false, false)
				namesake.last = d.last
				namesake.first = s.pick(habitMaleFirst)
				if namesake.first == d.first || strings.HasPrefix(namesake.first, d.first[:1]) {
					namesake.first = "Gisela"
				}
				namesake.Name = namesake.first + " " + namesake.last
				s.invoice(namesake, amount, 40)
				variant += "/namesake_same_amount"
			}
			it := s.invoice(d, amount, 30)
			s.invoice(d, s.amount(), 30)
			text := s.pick([]string{"Rechnung", "Danke", "", "Ueberweisung", "Online-Bestellung"})
			p := s.pay(it.OpenMinor, 6+i, text, v.payer(d.first, d.last), s.newIBAN())
			s.truth(p, habitNameOnly, variant, d, inFull(it))
		}
	}
}

// typoNamesAnotherInvoice: the payer mistypes the invoice number (two
// digits swapped or one changed) and the typo is another debtor's
// invoice, of the same amount or not; or it names nothing and another
// debtor owes the amount. The payer's own account or name says who paid.
func (s *habitShop) typoNamesAnotherInvoice() {
	for k := range 40 {
		d := s.newDebtor(s.r.IntN(4) == 0, k%4 != 1)
		amount := s.pricePoint()
		if k%4 == 2 {
			amount = s.amount()
		}
		it := s.invoice(d, amount, 30)
		s.invoice(d, s.amount(), 30)
		typo := s.typo(it.serial)
		if typo == 0 {
			continue
		}
		other := s.newDebtor(false, true)
		name, iban := s.asPayer(d)
		var variant string
		switch k % 4 {
		case 0:
			s.invoiceNumbered(other, amount, 25, typo)
			variant = "typo_is_other_inv_same_amount/known_iban"
		case 1:
			s.invoiceNumbered(other, amount, 25, typo)
			variant = "typo_is_other_inv_same_amount/name_only"
		case 2:
			s.invoiceNumbered(other, s.amount(), 25, typo)
			variant = "typo_is_other_inv_other_amount/known_iban"
		case 3:
			s.invoiceSerials[typo] = true
			s.invoice(other, amount, 25)
			variant = "typo_names_nothing/other_debtor_same_amount/known_iban"
		}
		p := s.pay(amount, 7+k%18, "Rechnung RE-2026-"+strconv.Itoa(typo), name, iban)
		s.truth(p, habitTypo, variant, d, inFull(it))
	}
}

// typo returns serial with two neighbouring digits swapped or one digit
// changed (never the first), not used by any invoice; 0 if it finds none.
func (s *habitShop) typo(serial int) int {
	digits := []byte(strconv.Itoa(serial))
	for range 50 {
		b := append([]byte(nil), digits...)
		i := 1 + s.r.IntN(len(b)-2)
		if s.r.IntN(2) == 0 && b[i] != b[i+1] {
			b[i], b[i+1] = b[i+1], b[i]
		} else {
			c := byte('0' + s.r.IntN(10))
			if c == b[i] {
				continue
			}
			b[i] = c
		}
		if n, _ := strconv.Atoi(string(b)); n >= 10000 && !s.invoiceSerials[n] {
			return n
		}
	}
	return 0
}

// discounted is amount less percentBP basis points, rounded half up.
func discounted(amount, percentBP int64) int64 { return amount - (amount*percentBP+5000)/10000 }

// withDiscountTerms dates it for a cash discount of 2 % until window day
// until.
func withDiscountTerms(it *habitItem, issue, due, until int) {
	it.IssueDate, it.DueDate = windowDay(issue), windowDay(due)
	it.CashDiscount = &habitCashDiscount{Until: windowDay(until), PercentBP: 200}
}

// roundingAndDiscount: the amount paid differs from the open amount by a
// rounding, or by a cash discount taken late, on the net amount, rounded,
// or at a higher rate than the terms. Where a clerk could book either the
// full item (writing the difference off) or a partial payment, both are
// accepted.
func (s *habitShop) roundingAndDiscount() {
	for k := range 48 {
		d := s.newDebtor(k%3 == 0, true)
		name, iban := s.asPayer(d)
		s.invoice(d, s.amount(), 35)
		var it *habitItem
		var paid int64
		var variant string
		var accept [][]allocLine
		payDay := 3 + k%15
		switch k % 8 {
		case 0:
			it = s.invoice(d, s.pickAmount(9999, 4999, 2999, 19999, 14999), 30)
			paid = it.OpenMinor + 1
			accept = [][]allocLine{inFull(it)}
			variant = "rounded_up_1ct"
		case 1:
			it = s.invoice(d, s.pickAmount(11990, 4990, 2490, 7990, 24990), 30)
			paid = it.OpenMinor + 10
			accept = [][]allocLine{inFull(it)}
			variant = "rounded_up_10ct"
		case 2:
			it = s.invoice(d, s.pickAmount(4990, 11990, 7990, 24990, 3990), 30)
			paid = it.OpenMinor / 100 * 100
			accept = [][]allocLine{inFull(it), {{it.ID, paid}}}
			variant = "cents_dropped"
		case 3:
			it = s.invoice(d, 20000+s.r.Int64N(200000), 0)
			withDiscountTerms(it, -20, 10, -10)
			paid = discounted(it.OpenMinor, 200)
			accept = [][]allocLine{{{it.ID, paid}}}
			variant = "discount_late"
		case 4:
			// Until Saturday 2026-03-07, booked the Monday after.
			it = s.invoice(d, 20000+s.r.Int64N(200000), 0)
			withDiscountTerms(it, -9, 20, 5)
			paid = discounted(it.OpenMinor, 200)
			payDay = 7
			accept = [][]allocLine{inFull(it), {{it.ID, paid}}}
			variant = "discount_until_weekend_paid_monday"
		case 5:
			net := 10000 + s.r.Int64N(200000)
			gross := net * 119 / 100
			it = s.invoice(d, gross, 0)
			withDiscountTerms(it, -5, 25, 9)
			paid = gross - (net - discounted(net, 200))
			accept = [][]allocLine{inFull(it)}
			variant = "discount_on_net_in_time"
		case 6:
			it = s.invoice(d, 20000+s.r.Int64N(200000), 0)
			withDiscountTerms(it, -5, 25, 9)
			paid = discounted(it.OpenMinor, 200) / 100 * 100
			if paid == discounted(it.OpenMinor, 200) {
				paid -= 100
			}
			accept = [][]allocLine{inFull(it), {{it.ID, paid}}}
			variant = "discount_then_rounded_down"
		case 7:
			it = s.invoice(d, 20000+s.r.Int64N(200000), 0)
			withDiscountTerms(it, -5, 25, 9)
			paid = discounted(it.OpenMinor, 300)
			accept = [][]allocLine{{{it.ID, paid}}}
			variant = "discount_3pct_for_2pct_terms"
		}
		if k%8 >= 5 {
			payDay = 3 + k%6
		}
		text := "Rechnung " + it.DocumentNumber
		if k%8 >= 3 && s.r.IntN(2) == 0 {
			text += " abzgl. Skonto"
		}
		p := s.pay(paid, payDay, text, name, iban)
		s.truth(p, habitRoundingDiscount, variant, d, accept...)
	}
}

func (s *habitShop) pickAmount(amounts ...int64) int64 { return amounts[s.r.IntN(len(amounts))] }

// bankFormats: the invoice number as bank formats mangle it: SEPA
// keywords (EREF+, SVWZ+), the 35- and 140-character cuts, MT940's
// 27-character lines joined with a space, SWIFT codes, raw ?20 subfields.
func (s *habitShop) bankFormats() {
	for k := range 44 {
		d := s.newDebtor(k%4 == 0, k%2 == 0)
		it := s.invoice(d, s.amount(), 30)
		s.invoice(d, s.amount(), 30)
		name, iban := s.asPayer(d)
		if k%2 == 1 {
			iban = s.newIBAN()
		}
		number, digits := it.DocumentNumber, it.digits()
		var text, variant string
		switch k % 11 {
		case 0:
			text, variant = "SVWZ+"+number+" EREF+NOTPROVIDED", "svwz_eref_notprovided"
		case 1:
			text, variant = "EREF+"+number+" SVWZ+Vielen Dank", "number_only_in_eref"
		case 2:
			text, variant = "EREF+NOTPROVIDEDSVWZ+Rechnung"+number, "keywords_glued"
		case 3:
			text, variant = (fitTo("Zahlung zu Rechnung Nr. ", 35-len(number)+1) + number)[:35], "cut35_4digits_left"
		case 4:
			text, variant = (fitTo("Zahlung zu Rechnung Nr. ", 35-len(number)+2) + number)[:35], "cut35_3digits_left"
		case 5:
			text, variant = "RE-2026-"+digits[:3]+" "+digits[3:]+" Danke", "mt940_split_serial_3_2"
		case 6:
			text, variant = "RE-20 26-"+digits, "mt940_split_year"
		case 7:
			text, variant = "R E-2026-"+digits+" Kd "+d.CustomerNumber, "mt940_split_prefix"
		case 8:
			lead := "Sehr geehrte Damen und Herren, anbei die Zahlung fuer die Lieferung vom 12.02.2026 mit freundlichen Gruessen, Bestellung " +
				it.OrderID + " Rechnung "
			text, variant = (fitTo(lead, 140-len(number)+2) + number)[:140], "cut140_in_number"
		case 9:
			text, variant = "/ROC/"+number+"/RFB/NOTPROVIDED", "swift_roc"
		case 10:
			text, variant = "?20RE-2026-"+digits[:2]+"?21"+digits[2:]+" Danke", "mt940_subfields_raw"
		}
		p := s.pay(it.OpenMinor, 8+k%15, text, name, iban)
		s.truth(p, habitBankFormat, variant, d, inFull(it))
	}
}

// fitTo makes lead exactly n bytes long: cut at a word's end, or padded
// with ". ", so that the number after it is cut where the bank cuts.
func fitTo(lead string, n int) string {
	if len(lead) > n {
		lead = lead[:n]
		if i := strings.LastIndex(strings.TrimRight(lead, " "), " "); i > 0 {
			lead = lead[:i+1]
		}
	}
	for len(lead) < n {
		lead = strings.TrimRight(lead, " ") + ". "
		if len(lead) > n {
			lead = lead[:n]
		}
	}
	return lead
}

// duplicates: the same transfer twice, a few days apart, with the invoice
// number, or without a reference. The second is a credit balance to
// refund, even when the debtor owes another item of the same amount.
func (s *habitShop) duplicates() {
	for k := range 30 {
		d := s.newDebtor(false, true)
		name, iban := s.asPayer(d)
		amount := s.pricePoint()
		it := s.invoice(d, amount, 30)
		text := "Rechnung " + it.DocumentNumber
		var variant string
		switch k % 3 {
		case 0:
			s.invoice(d, s.amount(), 20)
			variant = "dup_with_ref/other_item_other_amount"
		case 1:
			s.invoice(d, amount, 10)
			variant = "dup_with_ref/other_item_same_amount"
		case 2:
			text = "Danke"
			s.invoice(d, s.amount(), 20)
			variant = "dup_no_ref"
		}
		day := 3 + k%15
		p := s.pay(amount, day, text, name, iban)
		s.truth(p, habitDuplicate, variant+"/first", d, inFull(it))
		p = s.pay(amount, day+1+s.r.IntN(3), text, name, iban)
		s.truth(p, habitDuplicate, variant+"/second", d)
	}
}

// paidInvoiceQuoted: the text names an invoice paid long ago: the payer
// pays it again (a credit balance), or reuses an old transfer template
// for a new invoice of another or the same amount (a subscription; there
// a clerk might also keep the money as credit).
func (s *habitShop) paidInvoiceQuoted() {
	for k := range 30 {
		d := s.newDebtor(s.r.IntN(4) == 0, true)
		name, iban := s.asPayer(d)
		old := s.invoice(d, s.pricePoint(), 70)
		old.OpenMinor = 0
		text := "Rechnung " + old.DocumentNumber
		switch k % 3 {
		case 0:
			s.invoice(d, s.amount(), 20)
			p := s.pay(old.AmountMinor, 3+k%20, text, name, iban)
			s.truth(p, habitPaidInvoice, "paid_twice", d)
		case 1:
			current := s.invoice(d, s.amount(), 20)
			p := s.pay(current.OpenMinor, 3+k%20, text, name, iban)
			s.truth(p, habitPaidInvoice, "template_reuse/new_amount", d, inFull(current))
		case 2:
			current := s.invoice(d, old.AmountMinor, 20)
			p := s.pay(current.OpenMinor, 3+k%20, text, name, iban)
			s.truth(p, habitPaidInvoice, "template_reuse/same_amount", d, inFull(current), []allocLine{})
		}
	}
}

// providerAccount: a payment provider (Klarna) pays for the customer from
// its one account, which history has confirmed for two other customers;
// the text has the order id and sometimes the customer's name. For half
// of them one of those earlier customers owes the same amount.
func (s *habitShop) providerAccount() {
	const provider = "Klarna Bank AB (publ)"
	account := ibanFor("DE", "76050101"+"0000998877")
	var earlier []*habitDebtor
	for j := range 2 {
		customer := s.newDebtor(false, false)
		earlier = append(earlier, customer)
		s.confirmEarlier(customer, account, provider, "Klarna 8876543"+strconv.Itoa(j))
	}
	for k := range 20 {
		d := s.newDebtor(false, false)
		amount := s.amount()
		variant := "provider_iban/order_id"
		if k%2 == 1 {
			amount = s.pricePoint()
			s.invoice(earlier[1], amount, 15)
			variant += "/earlier_customer_same_amount"
		}
		it := s.invoice(d, amount, 25)
		text := fmt.Sprintf("Klarna %d %s %s", 700000000+s.r.IntN(99999999), it.OrderID, d.first+" "+d.last)
		if k%4 >= 2 {
			text = fmt.Sprintf("Klarna %d Bestellung %s", 700000000+s.r.IntN(99999999), it.OrderID)
			variant += "/no_name"
		}
		p := s.pay(amount, 4+k%20, text, provider, account)
		s.truth(p, habitProviderAccount, variant, d, inFull(it))
	}
}

// otherDocumentNumbers: the text quotes a delivery note, order
// confirmation or quote whose number has the invoice serials' digits,
// which are another debtor's invoice (of the same amount for the quotes).
func (s *habitShop) otherDocumentNumbers() {
	for k := range 30 {
		d := s.newDebtor(k%3 == 0, k%2 == 0)
		name, iban := s.asPayer(d)
		if k%2 == 1 {
			iban = s.newIBAN()
		}
		amount := s.amount()
		if k%3 == 2 {
			amount = s.pricePoint()
		}
		it := s.invoice(d, amount, 30)
		s.invoice(d, s.amount(), 30)
		serial := s.freeNumber(s.invoiceSerials, 10000, 20000)
		other := s.newDebtor(false, true)
		otherAmount := s.amount()
		var sameAmount string
		if k%3 == 2 {
			otherAmount, sameAmount = amount, "/other_inv_same_amount"
		}
		s.invoiceNumbered(other, otherAmount, 25, serial)
		var text, variant string
		switch k % 3 {
		case 0:
			text, variant = fmt.Sprintf("Lieferschein LS-2026-%d", serial), "delivery_note"
		case 1:
			text, variant = fmt.Sprintf("Auftrag AB-2026-%d", serial), "order_confirmation"
		case 2:
			text, variant = fmt.Sprintf("Angebot AN-2026-%d", serial), "quote"
		}
		variant += sameAmount
		if k%2 == 1 {
			variant += "/new_iban"
		}
		p := s.pay(amount, 5+k%20, text, name, iban)
		s.truth(p, habitOtherDocument, variant, d, inFull(it))
	}
}

// postCodes: the text has the payer's address, and the post code is
// another debtor's invoice serial of the same amount; half also quote the
// right invoice.
func (s *habitShop) postCodes() {
	for k := range 20 {
		d := s.newDebtor(false, k%2 == 0)
		name, iban := s.asPayer(d)
		if k%2 == 1 {
			iban = s.newIBAN()
		}
		it := s.invoice(d, s.pricePoint(), 30)
		other := s.newDebtor(false, true)
		postCode := s.freeNumber(s.invoiceSerials, 10000, 20000)
		s.invoiceNumbered(other, it.OpenMinor, 25, postCode)
		var text, variant string
		if k%4 < 2 {
			text = fmt.Sprintf("%s %s Hauptstr. 5 %d Berlin", d.first, d.last, postCode)
			variant = "no_ref/plz_is_other_inv_same_amount"
		} else {
			text = fmt.Sprintf("Rechnung %s %s %d Berlin", it.DocumentNumber, d.last, postCode)
			variant = "ref/plz_is_other_inv_same_amount"
		}
		if k%2 == 1 {
			variant += "/new_iban"
		}
		p := s.pay(it.OpenMinor, 6+k%20, text, name, iban)
		s.truth(p, habitPostCode, variant, d, inFull(it))
	}
}

// coupleInOneTransfer: one spouse pays both spouses' invoices, each a
// debtor of its own. A clerk splits the money between the two debtors;
// the engine books one debtor per payment, so it can at best propose.
// The payer is the truth's debtor.
func (s *habitShop) coupleInOneTransfer() {
	for k := range 16 {
		payer := s.newDebtor(false, true)
		spouse := s.newDebtor(false, k%2 == 0)
		spouse.last = payer.last
		spouse.Name = spouse.first + " " + spouse.last
		mine := s.invoice(payer, s.amount(), 30)
		theirs := s.invoice(spouse, s.amount(), 30)
		if k%4 >= 2 {
			s.invoice(payer, s.amount(), 25)
		}
		name, iban := s.asPayer(payer)
		p := s.pay(mine.OpenMinor+theirs.OpenMinor, 5+k, "Rechnungen "+mine.DocumentNumber+" und "+theirs.DocumentNumber, name, iban)
		variant := fmt.Sprintf("couple/b_master_iban=%v/payer_other_item=%v", k%2 == 0, k%4 >= 2)
		s.truth(p, habitCouple, variant, payer, inFull(mine, theirs))
	}
}

// creditNoteNetted: the payer deducts an open credit note from the
// invoice, naming both or the invoice only.
func (s *habitShop) creditNoteNetted() {
	for k := range 16 {
		d := s.newDebtor(k%2 == 0, true)
		name, iban := s.asPayer(d)
		it := s.invoice(d, 20000+s.r.Int64N(100000), 30)
		s.invoice(d, s.amount(), 25)
		credit := s.creditNote(d)
		text, variant := it.DocumentNumber+" abzgl. Gutschrift "+credit.DocumentNumber, "names_both"
		if k%2 == 1 {
			text, variant = "Rechnung "+it.DocumentNumber+" abzgl. Gutschrift", "names_invoice_only"
		}
		p := s.pay(it.OpenMinor+credit.OpenMinor, 5+k, text, name, iban)
		s.truth(p, habitCreditNote, variant, d, inFull(it, credit))
	}
}
