package spapi

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// SettlementReportType is the scheduled V2 flat-file settlement report, the
// one settlement report Amazon still generates after 2026-03-25.
const SettlementReportType = "GET_V2_SETTLEMENT_REPORT_DATA_FLAT_FILE_V2"

// ReportsPageSize is the pageSize the client asks getReports for, its most.
const ReportsPageSize = 100

// DefaultMaxDocument is the largest decompressed report document accepted
// unless Config.MaxDocument says otherwise; a settlement report covers two
// weeks and is far smaller.
const DefaultMaxDocument = 1 << 30

// Report is a report as the Reports API lists it.
type Report struct {
	ID, Type, DocumentID, ProcessingStatus string
	Created, DataStart, DataEnd            time.Time
}

// report is the Reports API's JSON of a report.
type report struct {
	ReportID         string    `json:"reportId"`
	ReportType       string    `json:"reportType"`
	ReportDocumentID string    `json:"reportDocumentId"`
	ProcessingStatus string    `json:"processingStatus"`
	CreatedTime      time.Time `json:"createdTime"`
	DataStartTime    time.Time `json:"dataStartTime"`
	DataEndTime      time.Time `json:"dataEndTime"`
}

// SettlementReports lists the V2 flat-file settlement reports created since
// createdSince that are DONE and have a document, oldest first, all pages.
// Amazon keeps reports 90 days; an earlier createdSince finds no more.
func (c *Client) SettlementReports(ctx context.Context, createdSince time.Time) ([]Report, error) {
	q := url.Values{
		"reportTypes":        {SettlementReportType},
		"processingStatuses": {"DONE"},
		"createdSince":       {createdSince.UTC().Format(time.RFC3339)},
		"pageSize":           {fmt.Sprint(ReportsPageSize)},
	}
	var out []Report
	err := c.pages(ctx, OpGetReports, "/reports/2021-06-30/reports", q, "nextToken", false, func(body []byte) error {
		var v struct {
			Reports []report `json:"reports"`
		}
		if err := json.Unmarshal(body, &v); err != nil {
			return fmt.Errorf("%s: %w: unreadable answer: %v", OpGetReports, ErrUpstream, err)
		}
		for _, r := range v.Reports {
			if r.ProcessingStatus != "DONE" || r.ReportDocumentID == "" || r.ReportType != SettlementReportType {
				continue
			}
			out = append(out, Report{
				ID: r.ReportID, Type: r.ReportType, DocumentID: r.ReportDocumentID, ProcessingStatus: r.ProcessingStatus,
				Created: r.CreatedTime, DataStart: r.DataStartTime, DataEnd: r.DataEndTime,
			})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	sortReports(out)
	return out, nil
}

// sortReports orders reports by creation, then id (insertion sort: a
// listing is short and mostly in order).
func sortReports(rs []Report) {
	for i := 1; i < len(rs); i++ {
		for j := i; j > 0 && (rs[j].Created.Before(rs[j-1].Created) ||
			rs[j].Created.Equal(rs[j-1].Created) && rs[j].ID < rs[j-1].ID); j-- {
			rs[j], rs[j-1] = rs[j-1], rs[j]
		}
	}
}

// ReportDocument returns the content of a report document: it asks
// getReportDocument for the document's URL, fetches it (without the access
// token: the URL is presigned and may lie elsewhere) and decompresses it
// when the document says GZIP. The content is read completely before it is
// returned, so the caller may close it at leisure.
func (c *Client) ReportDocument(ctx context.Context, documentID string) (io.ReadCloser, error) {
	if documentID == "" || strings.ContainsAny(documentID, "/?#") {
		return nil, fmt.Errorf("%s: %w: document id %q", OpGetReportDocument, ErrBadRequest, documentID)
	}
	body, err := c.get(ctx, OpGetReportDocument, "/reports/2021-06-30/documents/"+url.PathEscape(documentID), nil)
	if err != nil {
		return nil, err
	}
	var doc struct {
		ReportDocumentID     string `json:"reportDocumentId"`
		URL                  string `json:"url"`
		CompressionAlgorithm string `json:"compressionAlgorithm"`
	}
	if err := json.Unmarshal(body, &doc); err != nil || doc.URL == "" {
		return nil, fmt.Errorf("%s %s: %w: answer without a document URL", OpGetReportDocument, documentID, ErrUpstream)
	}
	build := func(ctx context.Context) (*http.Request, error) {
		return http.NewRequestWithContext(ctx, http.MethodGet, doc.URL, nil)
	}
	status, content, err := c.exchange(ctx, OpDownload, build, false)
	if err != nil {
		return nil, fmt.Errorf("download report document %s: %w", documentID, err)
	}
	if status != http.StatusOK {
		return nil, fmt.Errorf("download report document %s: %w: status %d", documentID, ErrUpstream, status)
	}
	switch strings.ToUpper(doc.CompressionAlgorithm) {
	case "":
		return io.NopCloser(bytes.NewReader(content)), nil
	case "GZIP":
		zr, err := gzip.NewReader(bytes.NewReader(content))
		if err != nil {
			return nil, fmt.Errorf("report document %s: %w: not gzip: %v", documentID, ErrUpstream, err)
		}
		plain, err := io.ReadAll(io.LimitReader(zr, int64(c.maxDoc)+1))
		if err == nil && len(plain) > c.maxDoc {
			err = fmt.Errorf("decompressed content above %d bytes", c.maxDoc)
		}
		if err != nil {
			return nil, fmt.Errorf("report document %s: %w: broken gzip: %v", documentID, ErrUpstream, err)
		}
		return io.NopCloser(bytes.NewReader(plain)), nil
	default:
		return nil, fmt.Errorf("report document %s: %w: unknown compression %q", documentID, ErrUpstream, doc.CompressionAlgorithm)
	}
}
