package notice

import "time"

// Party is the merchant sending a notice or the debtor receiving it. The
// bank fields (IBAN, BIC, Bank), CreditorID and VATID matter for the
// merchant only; Address is the postal address, one line per element,
// without the name.
type Party struct {
	Name       string
	Address    []string
	IBAN       string
	BIC        string
	Bank       string
	CreditorID string
	VATID      string
	Email      string
}

// Line is one open item listed on a notice: the invoice (Document) with its
// dates, the days it is overdue on the notice's date (negative before it is
// due), what is open of it and the interest charged on it, in minor units
// of the letter's currency, and the dunning level it reaches.
type Line struct {
	Document     string
	DocumentDate time.Time
	DueDate      time.Time
	DaysOverdue  int
	Open         int64
	Interest     int64
	Level        int
}

// InterestLine says how the interest on one document was computed for one
// period of one rate: from From to To inclusive, Days days at RateBP basis
// points a year (the base rate plus the statutory points) on Principal,
// giving Amount, all in minor units. A period split at a base-rate change
// is two lines.
type InterestLine struct {
	Document  string
	From, To  time.Time
	Days      int
	RateBP    int
	Principal int64
	Amount    int64
}

// FeeLine is a fee charged with the notice (a dunning fee or the lump sum
// of §288 (5) BGB) in minor units. Fees carry no VAT.
type FeeLine struct {
	Label  string
	Amount int64
}

// Letter is everything a notice says. Language is "de" or "en"; Template
// is "friendly" (before the due date), "reminder", "dunning-1",
// "dunning-2" or "final" (which names the hand-over to a collection
// agency). Total is what the debtor is asked to pay by PayBy: the sum of
// the lines' Open and Interest and of the fees. DayCount ("act/365",
// "act/360", "30/360") is printed with the interest. Dates are calendar
// dates; only their year, month and day are used. PaymentReference is the
// text the debtor is asked to give with the transfer (see Reference).
type Letter struct {
	Language         string
	Merchant         Party
	Debtor           Party
	Number           string
	Date             time.Time
	PayBy            time.Time
	Level            int
	Template         string
	Lines            []Line
	Fees             []FeeLine
	Interest         []InterestLine
	DayCount         string
	Currency         string
	Total            int64
	PaymentReference string
}

// Rendered is a notice rendered: the e-mail subject, the e-mail bodies as
// plain text and HTML, and the printable PDF.
type Rendered struct {
	Subject string
	Text    string
	HTML    string
	PDF     []byte
}
