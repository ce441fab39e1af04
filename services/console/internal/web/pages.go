package web

import (
	"net/http"
)

// The pages below are filled in area by area; each returns the View its
// template renders.

// search is the start page: find a debtor.
func (s *Server) search(w http.ResponseWriter, r *http.Request, rc *Request) (*View, error) {
	return &View{Template: "search.html", Data: nil}, nil
}

// statementPDF serves a debtor's statement as a PDF.
func (s *Server) statementPDF(w http.ResponseWriter, r *http.Request, rc *Request) (*View, error) {
	return nil, notConfigured("the ledger")
}

// reportsPage shows the month-end reports.
func (s *Server) reportsPage(w http.ResponseWriter, r *http.Request, rc *Request) (*View, error) {
	return nil, notConfigured("the ledger")
}

// rejected lists rejected messages.
func (s *Server) rejected(w http.ResponseWriter, r *http.Request, rc *Request) (*View, error) {
	return nil, notConfigured("rejections")
}

// replay replays a rejected message.
func (s *Server) replay(w http.ResponseWriter, r *http.Request, rc *Request) (*View, error) {
	return nil, notConfigured("rejections")
}

// held lists the shop messages ingestion holds.
func (s *Server) held(w http.ResponseWriter, r *http.Request, rc *Request) (*View, error) {
	return nil, notConfigured("ingestion")
}
