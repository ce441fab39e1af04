package notice

import (
	"strconv"
	"strings"
)

// KnownTemplate reports whether Render knows the template name: "friendly"
// (before the due date), "reminder", "dunning-1", "dunning-2" or "final"
// (which announces the hand-over to a collection agency).
func KnownTemplate(name string) bool {
	_, ok := catalog["de"].title[name]
	return ok
}

// texts is what a letter says in one language. In intro, {total} and
// {payby} stand for the amount asked for and the date to pay by.
type texts struct {
	title                                    map[string]string // by template
	intro                                    map[string]string // by template
	greeting                                 string            // followed by the debtor's name and a comma
	date, number, payBy, page, of, continued string
	// Table headings.
	document, docDate, due, overdue, level, open, interest string
	// Overdue cells: days past due, due in days, due today.
	days, day, inDays, inDay, today string
	// Sums.
	sumOpen, sumInterest, defaultFee, lumpSum, total string
	// Interest explanation: heading, one line per period, the day count.
	interestHeading, interestLine, dayCountLabel string
	dayCounts                                    map[string]string
	noVAT                                        string
	// Payment.
	payTo, recipient, iban, bic, bank, reference, referenceNote string
	questions, regards                                          string
	vatID, creditorID                                           string
}

var catalog = map[string]*texts{
	"de": {
		title: map[string]string{
			"friendly":  "Freundliche Erinnerung an bald fällige Rechnungen",
			"reminder":  "Zahlungserinnerung",
			"dunning-1": "1. Mahnung",
			"dunning-2": "2. Mahnung",
			"final":     "Letzte Mahnung vor Übergabe an ein Inkassounternehmen",
		},
		intro: map[string]string{
			"friendly": "wir möchten Sie freundlich daran erinnern, dass die unten aufgeführten Rechnungen in Kürze fällig werden. " +
				"Bitte überweisen Sie den Betrag von {total} bis zum {payby}. " +
				"Wenn Sie bereits bezahlt haben, danken wir Ihnen und bitten Sie, dieses Schreiben als gegenstandslos zu betrachten.",
			"reminder": "sicher haben Sie es nur übersehen: Die unten aufgeführten Rechnungen sind fällig und noch nicht bezahlt. " +
				"Bitte überweisen Sie den offenen Betrag von {total} bis zum {payby}. " +
				"Sollte sich Ihre Zahlung mit diesem Schreiben überschnitten haben, betrachten Sie es bitte als gegenstandslos.",
			"dunning-1": "trotz Fälligkeit konnten wir für die unten aufgeführten Rechnungen bis heute keinen Zahlungseingang feststellen. " +
				"Bitte überweisen Sie den offenen Betrag von {total} einschließlich der angefallenen Kosten und Zinsen bis zum {payby}.",
			"dunning-2": "leider haben Sie auf unsere bisherigen Schreiben nicht reagiert, und die unten aufgeführten Rechnungen sind weiterhin offen. " +
				"Wir fordern Sie auf, den Gesamtbetrag von {total} bis spätestens {payby} zu überweisen.",
			"final": "die unten aufgeführten Rechnungen sind trotz mehrfacher Mahnung weiterhin offen. Dies ist unsere letzte Mahnung. " +
				"Bitte überweisen Sie den Gesamtbetrag von {total} bis spätestens {payby}. " +
				"Geht Ihre Zahlung bis dahin nicht ein, übergeben wir die Forderung ohne weitere Ankündigung an ein Inkassounternehmen; " +
				"die dadurch entstehenden Kosten können Ihnen als Verzugsschaden in Rechnung gestellt werden.",
		},
		greeting: "Guten Tag",
		date:     "Datum", number: "Schreiben Nr.", payBy: "Zahlbar bis", page: "Seite", of: "von", continued: "Fortsetzung",
		document: "Rechnung", docDate: "vom", due: "fällig am", overdue: "überfällig", level: "Stufe", open: "offen", interest: "Zinsen",
		days: "{n} Tage", day: "1 Tag", inDays: "fällig in {n} Tagen", inDay: "fällig in 1 Tag", today: "heute fällig",
		sumOpen: "Offene Rechnungsbeträge", sumInterest: "Verzugszinsen", defaultFee: "Mahnkosten", lumpSum: "Verzugspauschale (§ 288 Abs. 5 BGB)", total: "Gesamtbetrag",
		interestHeading: "Berechnung der Verzugszinsen (§ 288 BGB)",
		interestLine:    "{document}: {days} Tage vom {from} bis {to} zu {rate} p. a. auf {principal} = {amount}",
		dayCountLabel:   "Zinsmethode",
		dayCounts: map[string]string{
			"act/365": "act/365 (tatsächliche Tage, Jahr zu 365 Tagen)",
			"act/360": "act/360 (tatsächliche Tage, Jahr zu 360 Tagen)",
			"30/360":  "30/360 (Monat zu 30 Tagen, Jahr zu 360 Tagen)",
		},
		noVAT:     "Mahnkosten und Verzugszinsen unterliegen nicht der Umsatzsteuer.",
		payTo:     "Bitte überweisen Sie den Gesamtbetrag auf folgendes Konto:",
		recipient: "Empfänger", iban: "IBAN", bic: "BIC", bank: "Bank", reference: "Verwendungszweck",
		referenceNote: "Bitte geben Sie den Verwendungszweck vollständig an, damit wir Ihre Zahlung zuordnen können.",
		questions:     "Bei Fragen zu dieser Aufstellung erreichen Sie uns unter {email}.",
		regards:       "Mit freundlichen Grüßen",
		vatID:         "USt-IdNr.", creditorID: "Gläubiger-ID",
	},
	"en": {
		title: map[string]string{
			"friendly":  "Friendly reminder of invoices falling due",
			"reminder":  "Payment reminder",
			"dunning-1": "First overdue notice",
			"dunning-2": "Second overdue notice",
			"final":     "Final notice before referral to a collection agency",
		},
		intro: map[string]string{
			"friendly": "we would like to remind you that the invoices listed below will fall due shortly. " +
				"Please transfer the amount of {total} by {payby}. " +
				"If you have already paid, thank you, and please disregard this letter.",
			"reminder": "perhaps it has escaped your attention: the invoices listed below are due and have not been paid yet. " +
				"Please transfer the amount of {total} by {payby}. " +
				"If your payment has crossed with this letter, please disregard it.",
			"dunning-1": "although they are due, we have not yet received payment for the invoices listed below. " +
				"Please transfer the amount of {total}, including the costs and interest incurred, by {payby}.",
			"dunning-2": "unfortunately you have not responded to our previous letters, and the invoices listed below are still unpaid. " +
				"We ask you to transfer the total of {total} by {payby} at the latest.",
			"final": "the invoices listed below are still unpaid despite several reminders. This is our final notice. " +
				"Please transfer the total of {total} by {payby} at the latest. " +
				"If we have not received your payment by then, we will refer the claim to a collection agency without further notice; " +
				"the costs this causes may be charged to you as damages for default.",
		},
		greeting: "Dear",
		date:     "Date", number: "Letter no.", payBy: "Pay by", page: "Page", of: "of", continued: "continued",
		document: "Invoice", docDate: "Date", due: "Due", overdue: "Overdue", level: "Level", open: "Open", interest: "Interest",
		days: "{n} days", day: "1 day", inDays: "due in {n} days", inDay: "due in 1 day", today: "due today",
		sumOpen: "Open invoice amounts", sumInterest: "Default interest", defaultFee: "Dunning fee", lumpSum: "Lump sum for late payment (§ 288 (5) BGB)", total: "Total",
		interestHeading: "How the default interest was computed (§ 288 BGB)",
		interestLine:    "{document}: {days} days from {from} to {to} at {rate} a year on {principal} = {amount}",
		dayCountLabel:   "Day count",
		dayCounts: map[string]string{
			"act/365": "actual/365 (actual days, 365-day year)",
			"act/360": "actual/360 (actual days, 360-day year)",
			"30/360":  "30/360 (30-day months, 360-day year)",
		},
		noVAT:     "Dunning fees and default interest are not subject to VAT.",
		payTo:     "Please transfer the total to the following account:",
		recipient: "Beneficiary", iban: "IBAN", bic: "BIC", bank: "Bank", reference: "Payment reference",
		referenceNote: "Please quote the payment reference in full so that we can match your payment.",
		questions:     "If you have any questions about this statement, please contact us at {email}.",
		regards:       "Yours sincerely",
		vatID:         "VAT ID", creditorID: "Creditor ID",
	},
}

// FeeLabel returns the label of a fee on a notice in language (a tag as
// Render takes it; English for an unknown one): for kind "fee" a dunning
// fee, for "lump-sum" the lump sum of §288 (5) BGB; any other kind is
// returned as it is.
func FeeLabel(language, kind string) string {
	t := catalog["en"]
	if lang := languageOf(language); lang != "" {
		t = catalog[lang]
	}
	switch kind {
	case "fee":
		return t.defaultFee
	case "lump-sum":
		return t.lumpSum
	}
	return kind
}

// expand replaces each {key} in s by its value in kv (pairs of key and
// value).
func expand(s string, kv ...string) string {
	for i := 0; i+1 < len(kv); i += 2 {
		s = strings.ReplaceAll(s, "{"+kv[i]+"}", kv[i+1])
	}
	return s
}

// overdueCell says how late an item is: "53 Tage", "fällig in 5 Tagen",
// "heute fällig".
func (t *texts) overdueCell(days int) string {
	switch {
	case days == 1:
		return t.day
	case days > 1:
		return expand(t.days, "n", strconv.Itoa(days))
	case days == 0:
		return t.today
	case days == -1:
		return t.inDay
	}
	return expand(t.inDays, "n", strconv.Itoa(-days))
}
