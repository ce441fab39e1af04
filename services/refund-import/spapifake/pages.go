package spapifake

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/o2c-platform/o2c/services/refund-import/internal/spapi"
)

// window is a request's posted window, as the server understood it.
type window struct {
	after, before time.Time
	market        string
}

// cursor is what a NextToken encodes: the operation and arguments it
// belongs to and where the next page starts.
type cursor struct {
	Op     string `json:"o"`
	After  int64  `json:"a"`
	Before int64  `json:"b"`
	Market string `json:"m,omitempty"`
	Posted int64  `json:"p"`
	Seq    int64  `json:"s"`
	Empty  int    `json:"e,omitempty"` // makes the tokens of successive empty pages differ
}

func (c cursor) encode() string {
	b, _ := json.Marshal(c) // a struct of strings and numbers always encodes
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeCursor(tok string) (cursor, error) {
	var c cursor
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		return c, errBadToken
	}
	if json.Unmarshal(b, &c) != nil {
		return c, errBadToken
	}
	return c, nil
}

// parseTime reads an ISO 8601 date-time as SP-API takes it.
func parseTime(s string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05Z0700", "2006-01-02T15:04Z07:00"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not an ISO 8601 date-time", s)
}

// finance reads the window, page size and token of a Finances request,
// enforcing the models' rules, and answers 400 itself when one is broken.
// tooLong reports a window more than 180 days long, which gets an empty
// answer.
func (s *Server) finance(w http.ResponseWriter, r *http.Request, now time.Time, op, afterKey, beforeKey, tokenKey, sizeKey string) (win window, cur cursor, size int, tooLong, ok bool) {
	q := r.URL.Query()
	bad := func(format string, args ...any) {
		writeError(w, http.StatusBadRequest, "InvalidInput", fmt.Sprintf(format, args...), "")
	}
	size = s.opt.PageSize
	if sizeKey != "" && q.Has(sizeKey) {
		n, err := strconv.Atoi(q.Get(sizeKey))
		if err != nil || n < 1 || n > 100 {
			bad("%s must be a number from 1 to 100, is %q.", sizeKey, q.Get(sizeKey))
			return
		}
		size = min(size, n)
	}
	win.market = q.Get("marketplaceId")
	tok := q.Get(tokenKey)
	if tok != "" {
		var err error
		if cur, err = decodeCursor(tok); err != nil || cur.Op != op {
			bad("Invalid %s.", tokenKey)
			return
		}
	}
	switch {
	case q.Get(afterKey) == "" && q.Get(beforeKey) != "":
		bad("If you include %s in your request, you must also specify %s.", beforeKey, afterKey)
		return
	case q.Get(afterKey) == "" && tok == "":
		bad("%s is required.", afterKey)
		return
	case q.Get(afterKey) == "":
		win.after, win.before, win.market = time.Unix(0, cur.After), time.Unix(0, cur.Before), cur.Market
	default:
		var err error
		if win.after, err = parseTime(q.Get(afterKey)); err != nil {
			bad("Invalid %s: %v.", afterKey, err)
			return
		}
		win.before = now.Add(-spapi.MinAge)
		if q.Get(beforeKey) != "" {
			if win.before, err = parseTime(q.Get(beforeKey)); err != nil {
				bad("Invalid %s: %v.", beforeKey, err)
				return
			}
		}
	}
	switch {
	case now.Sub(win.after) <= spapi.MinAge:
		bad("%s must be more than two minutes before the time of the request.", afterKey)
		return
	case !win.before.After(win.after):
		bad("%s must be later than %s.", beforeKey, afterKey)
		return
	case q.Get(beforeKey) != "" && now.Sub(win.before) <= spapi.MinAge:
		bad("%s must be more than two minutes before the time of the request.", beforeKey)
		return
	case tok != "" && (cur.After != win.after.UnixNano() || cur.Before != win.before.UnixNano() || cur.Market != win.market):
		bad("The %s belongs to other arguments; repeat the arguments of the request that returned it.", tokenKey)
		return
	}
	if tok == "" {
		cur = cursor{Op: op, After: win.after.UnixNano(), Before: win.before.UnixNano(), Market: win.market, Posted: win.after.UnixNano()}
	}
	return win, cur, size, win.before.Sub(win.after) > spapi.MaxWindow, true
}

// page takes the next page of ser for win from cur, or an empty page when
// one is due. next is "" on the last page.
func (s *Server) page(ser *series, win window, cur cursor, size int, tooLong bool) (items []entry, next string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if tooLong {
		return nil, ""
	}
	if s.empty > 0 {
		s.empty--
		cur.Empty++
		return nil, cur.encode()
	}
	i := ser.from(time.Unix(0, cur.Posted), cur.Seq)
	end := ser.from(win.before, 0)
	for ; i < end && len(items) < size; i++ {
		if e := ser.list[i]; win.market == "" || e.market == win.market {
			items = append(items, e)
		}
	}
	if i < end {
		cur.Posted, cur.Seq = ser.list[i].posted.UnixNano(), ser.list[i].seq
		next = cur.encode()
	}
	return items, next
}

// financialEvents serves listFinancialEvents.
func (s *Server) financialEvents(w http.ResponseWriter, r *http.Request, now time.Time) {
	win, cur, size, tooLong, ok := s.finance(w, r, now, spapi.OpListFinancialEvents, "PostedAfter", "PostedBefore", "NextToken", "MaxResultsPerPage")
	if !ok {
		return
	}
	items, next := s.page(&s.events, win, cur, size, tooLong)
	var b bytes.Buffer
	b.Grow(64 + len(items)*1024)
	b.WriteString(`{"payload":{`)
	if next != "" {
		fmt.Fprintf(&b, `"NextToken":%q,`, next)
	}
	b.WriteString(`"FinancialEvents":{`)
	var lists []string
	byList := map[string][]json.RawMessage{}
	for _, e := range items {
		if _, seen := byList[e.list]; !seen {
			lists = append(lists, e.list)
		}
		byList[e.list] = append(byList[e.list], e.raw)
	}
	for i, l := range lists {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "%q:", l)
		writeArray(&b, byList[l])
	}
	b.WriteString(`}}}`)
	writeRaw(w, http.StatusOK, b.Bytes())
}

// financialEventGroups serves listFinancialEventGroups.
func (s *Server) financialEventGroups(w http.ResponseWriter, r *http.Request, now time.Time) {
	win, cur, size, tooLong, ok := s.finance(w, r, now, spapi.OpListFinancialEventGroups,
		"FinancialEventGroupStartedAfter", "FinancialEventGroupStartedBefore", "NextToken", "MaxResultsPerPage")
	if !ok {
		return
	}
	items, next := s.page(&s.groups, win, cur, size, tooLong)
	writeList(w, "NextToken", next, "FinancialEventGroupList", items)
}

// transactions serves listTransactions of Finances 2024-06-19.
func (s *Server) transactions(w http.ResponseWriter, r *http.Request, now time.Time) {
	win, cur, size, tooLong, ok := s.finance(w, r, now, spapi.OpListTransactions, "postedAfter", "postedBefore", "nextToken", "")
	if !ok {
		return
	}
	items, next := s.page(&s.txs, win, cur, size, tooLong)
	writeList(w, "nextToken", next, "transactions", items)
}

// writeList answers {"payload": {tokenKey: next, listKey: [items]}}.
func writeList(w http.ResponseWriter, tokenKey, next, listKey string, items []entry) {
	var b bytes.Buffer
	b.WriteString(`{"payload":{`)
	if next != "" {
		fmt.Fprintf(&b, "%q:%q,", tokenKey, next)
	}
	fmt.Fprintf(&b, "%q:", listKey)
	raws := make([]json.RawMessage, len(items))
	for i, e := range items {
		raws[i] = e.raw
	}
	writeArray(&b, raws)
	b.WriteString(`}}`)
	writeRaw(w, http.StatusOK, b.Bytes())
}

func writeArray(b *bytes.Buffer, raws []json.RawMessage) {
	b.WriteByte('[')
	for i, raw := range raws {
		if i > 0 {
			b.WriteByte(',')
		}
		b.Write(raw)
	}
	b.WriteByte(']')
}

// reportsCursor is a getReports nextToken: the filter and the index of
// the next report (reports are only ever appended).
type reportsCursor struct {
	Types    []string `json:"t"`
	Statuses []string `json:"s,omitempty"`
	Since    int64    `json:"c"`
	Until    int64    `json:"u"`
	Size     int      `json:"n"`
	Next     int      `json:"i"`
}

// getReports serves getReports: reportTypes (required without nextToken),
// processingStatuses, createdSince (default 90 days ago), createdUntil
// (default now), pageSize (1 to 100, default 10), or a nextToken alone.
func (s *Server) getReports(w http.ResponseWriter, r *http.Request, now time.Time) {
	q := r.URL.Query()
	bad := func(format string, args ...any) {
		writeError(w, http.StatusBadRequest, "InvalidInput", fmt.Sprintf(format, args...), "")
	}
	var c reportsCursor
	if tok := q.Get("nextToken"); tok != "" {
		if len(q) > 1 {
			bad("nextToken must be the only parameter.")
			return
		}
		b, err := base64.RawURLEncoding.DecodeString(tok)
		if err != nil || json.Unmarshal(b, &c) != nil {
			bad("Invalid nextToken.")
			return
		}
	} else {
		c = reportsCursor{Size: 10, Since: now.Add(-90 * 24 * time.Hour).UnixNano(), Until: now.UnixNano()}
		if c.Types = splitList(q.Get("reportTypes")); len(c.Types) == 0 {
			bad("Either reportTypes or nextToken is required.")
			return
		}
		c.Statuses = splitList(q.Get("processingStatuses"))
		for key, dst := range map[string]*int64{"createdSince": &c.Since, "createdUntil": &c.Until} {
			if v := q.Get(key); v != "" {
				t, err := parseTime(v)
				if err != nil {
					bad("Invalid %s: %v.", key, err)
					return
				}
				*dst = t.UnixNano()
			}
		}
		if v := q.Get("pageSize"); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > 100 {
				bad("pageSize must be a number from 1 to 100, is %q.", v)
				return
			}
			c.Size = n
		}
	}
	type reportJSON struct {
		ReportID         string    `json:"reportId"`
		ReportType       string    `json:"reportType"`
		ProcessingStatus string    `json:"processingStatus"`
		CreatedTime      time.Time `json:"createdTime"`
		DataStartTime    time.Time `json:"dataStartTime"`
		DataEndTime      time.Time `json:"dataEndTime"`
		ReportDocumentID string    `json:"reportDocumentId"`
	}
	out := struct {
		Reports   []reportJSON `json:"reports"`
		NextToken string       `json:"nextToken,omitempty"`
	}{Reports: []reportJSON{}}
	s.mu.Lock()
	i := c.Next
	for ; i < len(s.reports) && len(out.Reports) < c.Size; i++ {
		rp := s.reports[i]
		ns := rp.created.UnixNano()
		if ns < c.Since || ns > c.Until || !contains(c.Types, spapi.SettlementReportType) ||
			len(c.Statuses) > 0 && !contains(c.Statuses, "DONE") {
			continue
		}
		out.Reports = append(out.Reports, reportJSON{
			ReportID: rp.id, ReportType: spapi.SettlementReportType, ProcessingStatus: "DONE",
			CreatedTime: rp.created, DataStartTime: rp.dataStart, DataEndTime: rp.dataEnd, ReportDocumentID: rp.docID,
		})
	}
	if i < len(s.reports) {
		c.Next = i
		b, _ := json.Marshal(c) // strings and numbers always encode
		out.NextToken = base64.RawURLEncoding.EncodeToString(b)
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, out)
}

// getReport serves getReport.
func (s *Server) getReport(w http.ResponseWriter, r *http.Request, _ time.Time) {
	id := r.PathValue("id")
	s.mu.Lock()
	var rp *report
	for _, x := range s.reports {
		if x.id == id {
			rp = x
		}
	}
	s.mu.Unlock()
	if rp == nil {
		writeError(w, http.StatusNotFound, "NotFound", "The report "+id+" does not exist.", "")
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"reportId": rp.id, "reportType": spapi.SettlementReportType, "processingStatus": "DONE",
		"createdTime": rp.created, "dataStartTime": rp.dataStart, "dataEndTime": rp.dataEnd, "reportDocumentId": rp.docID,
	})
}

// getReportDocument serves getReportDocument: a URL on this server, as
// Amazon's presigned one, and compressionAlgorithm GZIP.
func (s *Server) getReportDocument(w http.ResponseWriter, r *http.Request, _ time.Time) {
	id := r.PathValue("id")
	s.mu.Lock()
	rp := s.docs[id]
	s.mu.Unlock()
	if rp == nil {
		writeError(w, http.StatusNotFound, "NotFound", "The report document "+id+" does not exist.", "")
		return
	}
	url := "http://" + r.Host + "/download/" + id + "?X-Amz-Expires=300&X-Amz-Signature=" + randomHex(32)
	writeJSON(w, http.StatusOK, map[string]string{"reportDocumentId": id, "url": url, "compressionAlgorithm": "GZIP"})
}

// download serves a report document's gzipped bytes, as the presigned URL
// does: without an access token and without a rate limit.
func (s *Server) download(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	s.mu.Lock()
	s.requests[spapi.OpDownload]++
	if s.fault(w, spapi.OpDownload) {
		s.mu.Unlock()
		return
	}
	rp := s.docs[id]
	s.mu.Unlock()
	if rp == nil {
		http.Error(w, "NoSuchKey", http.StatusNotFound)
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	_, _ = w.Write(rp.gz)
}

// splitList reads an array query parameter: comma-separated values.
func splitList(v string) []string {
	var out []string
	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}
