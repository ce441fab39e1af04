package web

import (
	"bytes"
	"fmt"
	"net/http"
	"time"

	commonv1 "github.com/o2c-platform/o2c/proto/o2c/common/v1"
	ingestionv1 "github.com/o2c-platform/o2c/proto/o2c/ingestion/v1"
	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"

	"github.com/o2c-platform/o2c/libs/money"
	"github.com/o2c-platform/o2c/libs/reportfile"
)

// statementPDF serves a copy of a debtor's statement as a PDF letter
// (libs/reportfile's DIN 5008 statement), rendered by the console from
// every page of the ledger's statement, as `o2c report statement
// --format pdf` renders it: the ledger issues no statements of its own.
// It is addressed to the debtor's name where ingestion knows it.
func (s *Server) statementPDF(w http.ResponseWriter, r *http.Request, rc *Request) (*View, error) {
	if s.queries == nil {
		return nil, notConfigured("the ledger")
	}
	debtor := r.PathValue("debtor")
	var lines []*ledgerv1.StatementLine
	var first, last *ledgerv1.GetDebtorStatementResponse
	for tok := ""; ; {
		resp, err := s.queries.GetDebtorStatement(rc.Ctx, &ledgerv1.GetDebtorStatementRequest{Tenant: rc.Tenant, DebtorId: debtor, PageSize: 1000, PageToken: tok})
		if err != nil {
			return nil, err
		}
		if first == nil {
			first = resp
		}
		last = resp
		lines = append(lines, resp.GetLines()...)
		if tok = resp.GetNextPageToken(); tok == "" {
			break
		}
	}
	now := s.opt.Now()
	de := func(key string, args ...any) string { return s.catalog.T(rc.Locale, key, args...) }
	recipient := s.statementRecipient(rc, debtor)
	if recipient == nil {
		recipient = []string{de("statement.debtor", debtor), de("statement.account", first.GetDebtorAccount())}
	}
	doc := reportfile.Statement{
		Title:     de("account.statement"),
		Sender:    []string{rc.Tenant},
		Recipient: recipient,
		Params: [][2]string{{de("search.debtor"), debtor}, {de("statement.account-no"), first.GetDebtorAccount()},
			{de("statement.issued"), formatDateTime(rc.Locale, now)}},
		Opening: amounts(first.GetOpeningBalances()),
		Closing: amounts(last.GetClosingBalances()),
		Lines: reportfile.Table{
			Title: de("account.title", debtor),
			Columns: []reportfile.Column{{Name: de("col.date"), Kind: reportfile.KindDate}, {Name: de("col.document")}, {Name: de("col.text")},
				{Name: de("col.debit"), Kind: reportfile.KindMoney}, {Name: de("col.credit"), Kind: reportfile.KindMoney}, {Name: de("col.balance"), Kind: reportfile.KindMoney}},
			Rows: func(yield func([]reportfile.Cell) error) error {
				for _, l := range lines {
					d := l.GetEffectiveDate()
					row := []reportfile.Cell{reportfile.Date(time.Date(int(d.GetYear()), time.Month(d.GetMonth()), int(d.GetDay()), 0, 0, 0, 0, time.UTC)),
						reportfile.Text(l.GetDocumentNumber()), reportfile.Text(l.GetText()), moneyCell(l.GetDebit()), moneyCell(l.GetCredit()),
						reportfile.Money(l.GetRunningBalance().GetMinorUnits(), l.GetRunningBalance().GetCurrency())}
					if err := yield(row); err != nil {
						return err
					}
				}
				return nil
			},
		},
	}
	var buf bytes.Buffer
	if _, err := reportfile.WriteStatementPDF(&buf, doc, reportfile.PDFOptions{Issued: now}); err != nil {
		return nil, fmt.Errorf("statement of %s: %w", debtor, err)
	}
	servePDF(w, fmt.Sprintf("%s_statement_%s.pdf", rc.Tenant, debtor), buf.Bytes())
	return nil, nil
}

// statementRecipient returns the letter's address block for debtor: the
// name and billing address of ingestion's profile when the user may read
// profiles (accountants, operators), else the name alone as the debtor
// search shows it to customer service and viewers; nil when ingestion
// knows no name (an erased debtor) or cannot be asked.
func (s *Server) statementRecipient(rc *Request, debtor string) []string {
	if s.profiles != nil {
		res, err := s.profiles.ListDebtorProfiles(rc.Ctx, &ingestionv1.ListDebtorProfilesRequest{Tenant: rc.Tenant, DebtorIds: []string{debtor}})
		if err == nil {
			for _, p := range res.GetProfiles() {
				if p.GetDebtorId() != debtor || p.GetErased() {
					continue
				}
				a := p.GetBillingAddress()
				return reportfile.AddressBlock(reportfile.Address{Name: p.GetName(), Lines: a.GetLines(),
					PostalCode: a.GetPostalCode(), City: a.GetCity(), Country: a.GetCountry()}, "")
			}
			return nil
		}
	}
	if s.debtors == nil {
		return nil
	}
	res, err := s.debtors.SearchDebtors(rc.Ctx, &ingestionv1.SearchDebtorsRequest{Tenant: rc.Tenant, Query: debtor, PageSize: 5})
	if err != nil {
		return nil
	}
	for _, m := range res.GetDebtors() {
		if m.GetDebtorId() == debtor && m.GetName() != "" {
			return []string{m.GetName()}
		}
	}
	return nil
}

// amounts converts Money messages.
func amounts(ms []*commonv1.Money) []money.Amount {
	out := make([]money.Amount, 0, len(ms))
	for _, m := range ms {
		out = append(out, money.Amount{Minor: m.GetMinorUnits(), Currency: m.GetCurrency()})
	}
	return out
}

// moneyCell is an amount's cell, empty for zero (the debit or credit side
// a line does not use).
func moneyCell(m *commonv1.Money) reportfile.Cell {
	if m.GetMinorUnits() == 0 {
		return reportfile.Null()
	}
	return reportfile.Money(m.GetMinorUnits(), m.GetCurrency())
}
