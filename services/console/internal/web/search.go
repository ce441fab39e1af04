package web

import (
	"net/http"
	"strings"
	"unicode/utf8"

	ingestionv1 "github.com/o2c-platform/o2c/proto/o2c/ingestion/v1"
)

// searchData is what the search page shows.
type searchData struct {
	Query    string
	TooShort bool
	Results  []*ingestionv1.DebtorMatch
	Pager    Pager
}

// search is the start page: find a debtor by name, customer number,
// invoice number or IBAN (ingestion's SearchDebtors), paged.
func (s *Server) search(w http.ResponseWriter, r *http.Request, rc *Request) (*View, error) {
	d := &searchData{Query: strings.TrimSpace(r.URL.Query().Get("q"))}
	if d.Query == "" {
		return &View{Template: "search.html", Data: d}, nil
	}
	if utf8.RuneCountInString(d.Query) < 2 {
		d.TooShort = true
		return &View{Template: "search.html", Data: d}, nil
	}
	if s.debtors == nil {
		return nil, notConfigured("ingestion")
	}
	resp, err := s.debtors.SearchDebtors(rc.Ctx, &ingestionv1.SearchDebtorsRequest{Tenant: rc.Tenant, Query: d.Query, PageSize: pageSize,
		PageToken: r.URL.Query().Get("pt")})
	if err != nil {
		return nil, err
	}
	d.Results = resp.GetDebtors()
	d.Pager = tokenPager(r, "pt", "ptp", resp.GetNextPageToken())
	return &View{Template: "search.html", Data: d}, nil
}
