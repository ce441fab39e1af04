package spapi

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
)

// PageSize is the number of results the client asks for a page
// (MaxResultsPerPage), the most the Finances API v0 allows.
const PageSize = 100

// FinancialEvents pages through listFinancialEvents for w and calls page
// with each page's raw JSON body, in order, empty pages included (parse it
// with libs/formats/amazon/finances.Parse). It refuses a window that breaks
// SP-API's rules with ErrInvalidWindow before sending anything. An error
// from page stops the paging and is returned as it is; pages already handed
// over stay handed over, so a caller that resumes must take the window again.
func (c *Client) FinancialEvents(ctx context.Context, w Window, page func(body []byte) error) error {
	if err := w.check(c.now()); err != nil {
		return err
	}
	q := url.Values{
		"PostedAfter":       {stamp(w.PostedAfter)},
		"PostedBefore":      {stamp(w.PostedBefore)},
		"MaxResultsPerPage": {fmt.Sprint(PageSize)},
	}
	return c.pages(ctx, OpListFinancialEvents, "/finances/v0/financialEvents", q, "NextToken", true, page)
}

// FinancialEventGroups pages through listFinancialEventGroups for the
// groups started in w (FinancialEventGroupStartedAfter/Before), with the
// same rules and paging as FinancialEvents.
func (c *Client) FinancialEventGroups(ctx context.Context, w Window, page func(body []byte) error) error {
	if err := w.check(c.now()); err != nil {
		return err
	}
	q := url.Values{
		"FinancialEventGroupStartedAfter":  {stamp(w.PostedAfter)},
		"FinancialEventGroupStartedBefore": {stamp(w.PostedBefore)},
		"MaxResultsPerPage":                {fmt.Sprint(PageSize)},
	}
	return c.pages(ctx, OpListFinancialEventGroups, "/finances/v0/financialEventGroups", q, "NextToken", true, page)
}

// Transactions pages through the Finances 2024-06-19 listTransactions for
// w and marketplace ("" for all marketplaces, which Amazon asks for to see
// MFN orders of the US store), with the same rules and paging as
// FinancialEvents.
func (c *Client) Transactions(ctx context.Context, w Window, marketplace string, page func(body []byte) error) error {
	if err := w.check(c.now()); err != nil {
		return err
	}
	q := url.Values{
		"postedAfter":  {stamp(w.PostedAfter)},
		"postedBefore": {stamp(w.PostedBefore)},
	}
	if marketplace != "" {
		q.Set("marketplaceId", marketplace)
	}
	return c.pages(ctx, OpListTransactions, "/finances/2024-06-19/transactions", q, "nextToken", true, page)
}

// maxRepeats is how often in a row an answer may hand back the token it
// was asked with before the client takes it for a loop.
const maxRepeats = 20

// pages calls op until an answer has no next token. With keepArgs the next
// request repeats the first one's arguments beside the token (the Finances
// API's rule); without, the token is the only parameter (getReports').
func (c *Client) pages(ctx context.Context, op, path string, first url.Values, tokenParam string, keepArgs bool, page func([]byte) error) error {
	q := first
	prev, repeats := "", 0
	for n := 1; ; n++ {
		body, err := c.get(ctx, op, path, q)
		if err != nil {
			return err
		}
		next, err := nextToken(body)
		if err != nil {
			return fmt.Errorf("%s page %d: %w: %v", op, n, ErrUpstream, err)
		}
		if err := page(body); err != nil {
			return err
		}
		if next == "" {
			return nil
		}
		if next == prev {
			if repeats++; repeats >= maxRepeats {
				return fmt.Errorf("%s page %d: %w: %w", op, n, ErrUpstream, errNoProgress)
			}
		} else {
			prev, repeats = next, 0
		}
		if keepArgs {
			q = url.Values{}
			for k, v := range first {
				q[k] = v
			}
		} else {
			q = url.Values{}
		}
		q.Set(tokenParam, next)
	}
}

// nextToken finds the next page token of an answer: payload.NextToken (v0),
// payload.nextToken (2024-06-19) or nextToken at the top (Reports).
// encoding/json matches the key without regard to case.
func nextToken(body []byte) (string, error) {
	if tok, err := scanNextToken(body); err == nil {
		return tok, nil
	}
	var v struct {
		Payload *struct {
			NextToken string `json:"NextToken"`
		} `json:"payload"`
		NextToken string `json:"nextToken"`
	}
	if err := json.Unmarshal(body, &v); err != nil {
		return "", fmt.Errorf("unreadable page: %v", err)
	}
	if v.Payload != nil && v.Payload.NextToken != "" {
		return v.Payload.NextToken, nil
	}
	return v.NextToken, nil
}
